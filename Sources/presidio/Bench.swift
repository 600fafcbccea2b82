import ArgumentParser
import EventLog
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks, each with a baseline measured in the same run.", subcommands: [LogBench.self, BenchDetect.self, BenchProjections.self])
}
