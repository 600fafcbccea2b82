import EventLog
print(LZ4.versionString)
