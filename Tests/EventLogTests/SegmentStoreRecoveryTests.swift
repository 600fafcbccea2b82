@testable import EventLog
import Foundation
import Testing

/// Embedded-store behaviour the conformance suite cannot express: files, restarts and damage.
@Suite("Embedded store: persistence, recovery and damage")
struct SegmentStoreRecoveryTests {
    static func ev(_ stream: String, _ i: Int) -> ProposedEvent {
        ProposedEvent(stream: stream, type: "Tick", payload: Data(#"{"i":\#(i),"text":"value 1234567890"}"#.utf8), actor: "t")
    }

    /// Appends `batches` batches of `size` events, returns all proposals in order.
    static func fill(_ store: SegmentStore, batches: Int, size: Int) async throws -> [ProposedEvent] {
        var all: [ProposedEvent] = []
        for b in 0..<batches {
            let batch = (0..<size).map { ev("bridge-\(b % 7)", b * size + $0) }
            try await store.append(batch)
            all += batch
        }
        return all
    }

    /// Fills a new store in `dir` and closes it: its one segment file and where the data ends there.
    static func filledSegment(_ dir: String, batches: Int, size: Int) async throws -> (path: String, dataEnd: UInt64) {
        let store = try SegmentStore(directory: dir)
        _ = try await fill(store, batches: batches, size: size)
        let dataEnd = try await store.stats().bytes
        store.close()
        return (try #require(try segmentFiles(dir).last), dataEnd)
    }

    static func segmentFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("segment-") }.sorted().map { dir + "/" + $0 }
    }

    static func partFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("index-") && $0.hasSuffix(".part") }.sorted()
            .map { dir + "/" + $0 }
    }

    /// Each sealed segment's index entries are saved as a part; on open the parts are used, and
    /// a missing or damaged part is replayed from the log and saved again, with the same index.
    @Test func reopenRestoresIndexFromPartsAndRebuildsBadOnes() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let opts = SegmentStore.Options(segmentSize: 4 << 10)
        var store = try SegmentStore(directory: dir.path, options: opts)
        let all = try await Self.fill(store, batches: 60, size: 5)
        let streamBefore = try await store.readStream("bridge-3", from: 0, limit: 1000)
        let categoryBefore = try await store.readCategory("bridge", from: 1, limit: 1000)
        store.close()
        let segments = try Self.segmentFiles(dir.path)
        #expect(segments.count > 3)
        let parts = try Self.partFiles(dir.path)
        #expect(parts.count == segments.count - 1)  // every sealed segment, not the active one
        try #require(parts.count >= 4)

        func check(_ store: SegmentStore) async throws {
            #expect(try await store.readStream("bridge-3", from: 0, limit: 1000) == streamBefore)
            #expect(try await store.readCategory("bridge", from: 1, limit: 1000) == categoryBefore)
            #expect(try await store.streamVersion("bridge-6") == UInt64(streamBefore.count) - 1 - 5)
            // Idempotency (the event-id index) survives a restart, for early and late events.
            for k in [0, 10, 150, 299] {
                let retry = try await store.append([all[k]])
                #expect(retry.positions == [UInt64(k + 1)] && retry.appended == 0)
            }
        }

        store = try SegmentStore(directory: dir.path, options: opts)
        #expect(store.recovery.indexParts == parts.count)
        #expect(store.recovery.indexPartsRebuilt == 0)
        #expect(store.recovery.replayedEvents < 300)  // the active segment only
        try await check(store)
        store.close()
        let saved = try parts.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        // One part missing, one damaged, one naming the wrong range: all three are replayed.
        try FileManager.default.removeItem(atPath: parts[0])
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: parts[0] + ".tmp"))  // a save cut short by a crash
        var damaged = saved[1]
        damaged[damaged.count / 2] ^= 0x20
        try damaged.write(to: URL(fileURLWithPath: parts[1]))
        try saved[2].write(to: URL(fileURLWithPath: parts[3]))
        store = try SegmentStore(directory: dir.path, options: opts)
        #expect(store.recovery.indexParts == parts.count - 3)
        #expect(store.recovery.indexPartsRebuilt == 3)
        #expect(!FileManager.default.fileExists(atPath: parts[0] + ".tmp"))
        try await check(store)
        store.close()
        // Rebuilt parts are byte for byte the ones saved at sealing.
        #expect(try parts.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == saved)

        // Read-only (an audit beside a running server) uses the parts and writes nothing.
        try FileManager.default.removeItem(atPath: parts[2])
        let reader = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
        #expect(reader.recovery.indexPartsRebuilt == 0)
        #expect(try await reader.readStream("bridge-3", from: 0, limit: 1000) == streamBefore)
        reader.close()
        #expect(!FileManager.default.fileExists(atPath: parts[2]))
        store = try SegmentStore(directory: dir.path, options: opts)
        #expect(store.recovery.indexPartsRebuilt == 1)
        #expect(try await store.verify().intact)
        store.close()

        // A part that cannot be saved (here a directory is in the way of its temporary file)
        // does not stop the open: the segment is replayed, and again at the next open.
        try FileManager.default.removeItem(atPath: parts[1])
        try FileManager.default.createDirectory(atPath: parts[1] + ".tmp", withIntermediateDirectories: false)
        for _ in 0..<2 {
            store = try SegmentStore(directory: dir.path, options: opts)
            #expect(store.recovery.indexParts == parts.count - 1 && store.recovery.indexPartsRebuilt == 0)
            try await check(store)
            store.close()
        }
        #expect(!FileManager.default.fileExists(atPath: parts[1]))
    }

    /// A torn last commit: its last `chop` bytes never reached the disk. With `zerosAfter`
    /// the file keeps its size (the zeros written ahead, `Options.preallocate`), without it
    /// the file ends there (a store written without preallocation).
    @Test(arguments: [(1, true), (7, true), (40, true), (1, false), (40, false)])
    func tornTailIsTruncatedAndReported(chop: Int, zerosAfter: Bool) async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var store = try SegmentStore(directory: dir.path)
        _ = try await Self.fill(store, batches: 10, size: 4)
        let lastHashBefore = try await store.read(from: 36, limit: 1)[0].hash
        // One segment: the log's bytes are where its data ends in the file.
        let dataEnd = try await store.stats().bytes
        store.close()
        let seg = try #require(try Self.segmentFiles(dir.path).last)
        let size = try FileManager.default.attributesOfItem(atPath: seg)[.size] as! UInt64
        #expect(size > dataEnd, "zeros are written ahead of the data")
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: seg))
        try fh.truncate(atOffset: dataEnd - UInt64(chop))
        if zerosAfter { try fh.truncate(atOffset: size) }
        try fh.close()
        // The process died: no clean-shutdown record (with one, the same bytes missing are
        // acknowledged events gone, see TornTailTests).
        unlink(dir.path + "/" + CleanShutdown.fileName)

        store = try SegmentStore(directory: dir.path)
        #expect(store.recovery.truncatedBytes > 0)
        #expect(store.recovery.truncatedBytes <= 4 * 200)
        #expect(store.recovery.truncatedSegment == (seg as NSString).lastPathComponent)
        #expect(try await store.read(from: 36, limit: 1)[0].hash == lastHashBefore)
        #expect(try await store.verify().intact)
        // The repair is recorded at 37; the log continues after it.
        #expect(try await store.read(from: 37, limit: 1).first?.type == LogRepair.eventType)
        let r = try await store.append(Self.ev("bridge-9", 0))
        #expect(r.positions == [38])
        store.close()
        store = try SegmentStore(directory: dir.path)
        defer { store.close() }
        #expect(store.recovery.truncatedBytes == 0)
        #expect(try await store.headPosition() == 38)
    }

    @Test func zerosWrittenAheadAreKeptAndNotReported() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (seg, dataEnd) = try await Self.filledSegment(dir.path, batches: 3, size: 3)
        let size = try FileManager.default.attributesOfItem(atPath: seg)[.size] as! UInt64
        #expect(size >= 1 << 20)
        var store = try SegmentStore(directory: dir.path)
        #expect(store.recovery.truncatedBytes == 0 && store.recovery.truncatedSegment == nil)
        #expect(try await store.stats().bytes == dataEnd)
        #expect(try FileManager.default.attributesOfItem(atPath: seg)[.size] as! UInt64 == size)
        // Read-only opens see the same log beside the zeros.
        let reader = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
        #expect(try await reader.headPosition() == 9)
        #expect(try await reader.verify().intact)
        reader.close()
        store.close()

        // Without preallocation the file holds only the data.
        var plain = SegmentStore.Options()
        plain.preallocate = false
        let dir2 = TempDirectory()
        defer { dir2.remove() }
        store = try SegmentStore(directory: dir2.path, options: plain)
        _ = try await Self.fill(store, batches: 3, size: 3)
        let plainEnd = try await store.stats().bytes
        store.close()
        let seg2 = try #require(try Self.segmentFiles(dir2.path).last)
        #expect(try FileManager.default.attributesOfItem(atPath: seg2)[.size] as! UInt64 == plainEnd)
    }

    /// Bytes after the last commit that are no block (not zeros, not a frame cut short) are
    /// damage: the open refuses and cuts nothing, crash or not.
    @Test func garbageAfterTheLastCommitIsRefused() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (seg, dataEnd) = try await Self.filledSegment(dir.path, batches: 3, size: 3)
        let fh = try FileHandle(forWritingTo: URL(fileURLWithPath: seg))
        try fh.seek(toOffset: dataEnd)
        try fh.write(contentsOf: Data([0x50, 0x42, 0x4C, 0x4B, 0, 0, 0, 1] + [UInt8](repeating: 0xA5, count: 100)))
        try fh.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: seg))
        for crashed in [false, true] {
            if crashed { unlink(dir.path + "/" + CleanShutdown.fileName) }
            await expectStoreError(.corruption, containing: ["impossible lengths", "log repair"]) {
                _ = try SegmentStore(directory: dir.path)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: seg)) == before)
        }
    }

    @Test func flippedByteInSealedSegmentIsACRCErrorAtItsPosition() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var store = try SegmentStore(directory: dir.path, options: .init(segmentSize: 4 << 10))
        _ = try await Self.fill(store, batches: 80, size: 2)
        store.close()
        let files = try Self.segmentFiles(dir.path)
        #expect(files.count >= 3)
        let target = files[1]
        let first = SegmentFormat.firstPosition(fromFileName: (target as NSString).lastPathComponent)!
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)))
        // Inside the stored bytes of the segment's first block.
        bytes[SegmentFormat.headerSize + SegmentFormat.blockHeaderSize + 5] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: target))

        store = try SegmentStore(directory: dir.path, options: .init(segmentSize: 4 << 10))
        defer { store.close() }
        let report = try await store.verify()
        #expect(!report.intact)
        #expect(report.firstBadPosition == first)
        #expect(report.segment == (target as NSString).lastPathComponent)
        #expect(report.offset == UInt64(SegmentFormat.headerSize))
        #expect(report.problem?.contains("CRC") == true)
        await expectStoreError(.corruption, containing: ["CRC"]) { _ = try await store.read(from: first, limit: 5) }
    }

    @Test func corruptionBeforeTheTailRefusesToOpen() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var store = try SegmentStore(directory: dir.path)
        _ = try await Self.fill(store, batches: 5, size: 2)
        store.close()
        let seg = try #require(try Self.segmentFiles(dir.path).last)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: seg)))
        bytes[SegmentFormat.headerSize + SegmentFormat.blockHeaderSize + 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: seg))
        do {
            store = try SegmentStore(directory: dir.path)
            store.close()
            Issue.record("a damaged block followed by good ones must not be truncated away")
        } catch let e as EventStoreError {
            #expect(e.code == .corruption)
            #expect(e.position == 1)
            #expect(e.segment == (seg as NSString).lastPathComponent)
            #expect(e.offset == UInt64(SegmentFormat.headerSize))
        }
        // Nothing was cut: the file is as damaged as we left it.
        #expect(try Data(contentsOf: URL(fileURLWithPath: seg)).count == bytes.count)
    }

    @Test func tamperedPayloadWithFixedCRCBreaksTheChainAtThatPosition() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var store = try SegmentStore(directory: dir.path)
        _ = try await Self.fill(store, batches: 6, size: 5)
        store.close()
        let seg = try #require(try Self.segmentFiles(dir.path).last)
        try Tamper.changePayloadByte(segmentPath: seg, position: 17)

        store = try SegmentStore(directory: dir.path)
        defer { store.close() }
        let e = try await store.read(from: 17, limit: 1)[0]
        #expect(String(decoding: e.payload, as: UTF8.self).contains("\"i\":26"))  // 16 → 26: CRCs all pass
        let report = try await store.verify()
        #expect(!report.intact)
        #expect(report.firstBadPosition == 17)
        #expect(report.problem?.contains("hash chain break") == true)
        #expect(report.eventsChecked == 16)
    }

    /// The audit reads record n+1 before it chains record n (to hash n+1's payload alongside);
    /// the first bad record must still be the one reported.
    @Test func verifyReportsTheFirstBadRecordWhenTheNextIsDamagedToo() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        // Small segments: the damaged one is sealed, so opening trusts it and only the audit
        // reads it record by record (the active segment's records are checked on open).
        var store = try SegmentStore(directory: dir.path, options: .init(segmentSize: 1024))
        _ = try await Self.fill(store, batches: 6, size: 5)
        store.close()
        let seg = try #require(
            try Self.segmentFiles(dir.path).last { SegmentFormat.firstPosition(fromFileName: ($0 as NSString).lastPathComponent)! <= 17 })
        #expect(seg != (try Self.segmentFiles(dir.path).last))
        let pristine = try Data(contentsOf: URL(fileURLWithPath: seg))
        try Tamper.changePayloadByte(segmentPath: seg, position: 17, damageCRCOf: 18)
        store = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
        var report = try await store.verify()
        store.close()
        #expect(report.firstBadPosition == 17)
        #expect(report.problem?.contains("hash chain break") == true)
        #expect(report.eventsChecked == 16)
        // Only the CRC of 18 damaged: 17 checks out, 18 is reported.
        try pristine.write(to: URL(fileURLWithPath: seg))
        try Tamper.changePayloadByte(segmentPath: seg, position: 17, damageCRCOf: 18, editPayload: false)
        store = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
        report = try await store.verify()
        store.close()
        #expect(report.firstBadPosition == 18)
        #expect(report.problem?.contains("record CRC32C mismatch") == true)
        #expect(report.eventsChecked == 17)
    }

    @Test func oneWriterPerFolderButReadersMayOpenBeside() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let store = try SegmentStore(directory: dir.path)
        defer { store.close() }
        try await store.append(Self.ev("bridge-1", 1))
        #expect(throws: EventStoreError.self) { _ = try SegmentStore(directory: dir.path) }
        let reader = try SegmentStore(directory: dir.path, options: .init(readOnly: true))
        defer { reader.close() }
        #expect(try await reader.headPosition() == 1)
        await expectStoreError(.readOnly) { try await reader.append(Self.ev("bridge-1", 2)) }
    }
}

/// Test helper that edits a record the way an attacker with file access would: change a
/// payload byte, then fix the record CRC, the LZ4 block and the block CRC so only the hash
/// chain can notice.
enum Tamper {
    /// Changes a payload byte of `position` (fixing its record CRC; not with `editPayload:
    /// false`) and, with `damageCRCOf`, corrupts the record CRC of that position (in the same
    /// block), then rebuilds the block around them.
    static func changePayloadByte(
        segmentPath: String, position: UInt64, damageCRCOf other: UInt64? = nil, editPayload: Bool = true
    ) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segmentPath)))
        let file = try SegmentFile(path: segmentPath, writable: false)
        var cursor = BlockCursor(file: file, from: UInt64(SegmentFormat.headerSize), end: UInt64(bytes.count))
        while let step = try cursor.next() {
            guard case .success(let block) = step else { throw EventStoreError(.corruption, "unexpected damage") }
            guard block.header.firstPosition <= position, position <= block.header.lastPosition else { continue }
            var raw = block.raw
            var offset = 0
            for _ in block.header.firstPosition..<position {
                let len = raw.withUnsafeBytes {
                    var r = ByteReader($0, offset: offset); return Int(r.u32()!)
                }
                offset += 4 + len + 8
            }
            let len = raw.withUnsafeBytes {
                var r = ByteReader($0, offset: offset); return Int(r.u32()!)
            }
            let bodyStart = offset + 4
            let event = raw.withUnsafeBytes { p -> RecordedEvent in
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: p[bodyStart..<bodyStart + len]))
                return RecordCodec.decodeBody(&r)!
            }
            let payloadStart = bodyStart + RecordCodec.header(of: event).count
            let text = [UInt8](event.payload)
            let digit = text.firstIndex(of: UInt8(ascii: ":"))! + 1  // first digit of "i"
            if editPayload {
                raw[payloadStart + digit] = raw[payloadStart + digit] == UInt8(ascii: "2") ? UInt8(ascii: "3") : UInt8(ascii: "2")
            }
            let crc = raw.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[bodyStart..<bodyStart + len])) }
            var w = ByteWriter()
            w.u32(crc)
            raw.replaceSubrange(bodyStart + len..<bodyStart + len + 4, with: w.bytes)
            if let other {
                var at = 0
                for _ in block.header.firstPosition..<other {
                    at +=
                        4
                        + raw.withUnsafeBytes {
                            var r = ByteReader($0, offset: at); return Int(r.u32()!)
                        } + 8
                }
                let otherLength = raw.withUnsafeBytes {
                    var r = ByteReader($0, offset: at); return Int(r.u32()!)
                }
                raw[at + 4 + otherLength] ^= 0x5A
            }
            let newBlock = SegmentFormat.encodeBlock(
                raw: raw, count: Int(block.header.count), firstPosition: block.header.firstPosition,
                commitEnd: block.header.flags & SegmentFormat.flagCommitEnd != 0)
            let start = Int(block.offset)
            let end = start + Int(block.header.frameLength)
            let out = Array(bytes[..<start]) + newBlock + Array(bytes[end...])
            try Data(out).write(to: URL(fileURLWithPath: segmentPath))
            return
        }
        throw EventStoreError(.invalidArgument, "position \(position) not found")
    }
}
