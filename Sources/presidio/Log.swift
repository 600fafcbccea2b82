import ArgumentParser
import Domain
import EventLog
import Foundation

struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append to, import into, read and describe the event log.",
        subcommands: [Append.self, Import.self, Read.self, Stats.self, Copy.self, Repair.self]
    )
}

extension Log {
    /// Why `log append` and `log import` refuse the `log` category.
    static let reservedCategory =
        "the 'log' category is reserved for the log's own records (repairs the store makes, checkpoints `presidio audit` makes)"

    static let rawHelp = ArgumentHelp(
        "Append into a domain category (bridge-, meter-, wastesite-, building-, tariff-, alert-) without the checks of `presidio submit`: for migrations and restores; the projections park what they cannot apply."
    )

    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Append one event; its JSON object payload is read from stdin.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Stream id, 'category-id' (e.g. bridge-MI0123).") var stream: String
        @Option(help: "Event type.") var type: String
        @Option(help: "Expected stream version: an integer, 'none', 'exists' or 'any'.") var expect: String = "any"
        @Option(help: "Who appends it.") var actor: String = ProcessInfo.processInfo.environment["USER"] ?? "cli"
        @Option(help: "Event id (UUID); generated when absent. Re-sending the same id and content is a no-op.") var id: String?
        @Option(help: "Metadata JSON object.") var metadata: String = "{}"
        @Option(help: "Schema version of the event type.") var schemaVersion: UInt32 = 1
        @Flag(name: .customLong("raw"), help: Log.rawHelp) var unchecked = false

        func run() async throws {
            guard let expected = ExpectedVersion(parsing: expect) else {
                throw CLIFailure(message: "--expect: must be an integer, 'none', 'exists' or 'any' (got '\(expect)')", exitCode: 2)
            }
            var eventId = UUID.random()
            if let id {
                guard let u = UUID(uuidString: id) else { throw CLIFailure(message: "--id: must be a UUID (got '\(id)')", exitCode: 2) }
                eventId = u
            }
            if LogRecords.isReserved(stream) { throw CLIFailure(message: "--stream: \(Log.reservedCategory)", exitCode: 2) }
            var payload = FileHandle.standardInput.readDataToEndOfFile()
            while let last = payload.last, last == 0x0A || last == 0x0D || last == 0x20 || last == 0x09 { payload.removeLast() }
            let event = ProposedEvent(
                id: eventId, stream: stream, type: type, schemaVersion: schemaVersion, payload: payload,
                metadata: Data(metadata.utf8), actor: actor, expected: expected)
            let s = try store.open()
            defer { s.close() }
            if !unchecked {
                var gate = RawAppendGate(store: s)
                let problems = try await gate.problems(event)
                if !problems.isEmpty {
                    throw CLIFailure(
                        message: "\(event.type) on \(stream): \(problems.map(\.description).joined(separator: "; ")); nothing appended", exitCode: 2)
                }
            }
            let result = try await s.append([event])
            print("{\"position\":\(result.positions[0]),\"appended\":\(result.appended),\"id\":\"\(eventId.uuidString.lowercased())\"}")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import NDJSON events (one object per line), committed in atomic batches.",
            discussion: """
                Each line: {"stream":…,"type":…,"data":{…}} with optional id, metadata, expectedVersion, actor,
                schemaVersion, correlationId, causationId. A malformed line stops the import with its line number;
                nothing of its batch is appended (earlier batches stay committed).
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "NDJSON file, or - for stdin.") var file: String
        @Option(help: "Events per atomic batch.") var batch: Int = 1000
        @Option(help: "Actor for lines without one.") var actor: String = "import"
        @Flag(name: .customLong("raw"), help: Log.rawHelp) var unchecked = false

        func validate() throws {
            guard batch >= 1 && batch <= 100_000 else { throw ValidationError("--batch must be between 1 and 100000") }
        }

        /// Lines are parsed a batch at a time on both cores while the previous batch is being
        /// appended; batches are appended strictly in order, each after the one before it was
        /// acknowledged, so expectations across batches hold as in a line-by-line import.
        func run() async throws {
            let handle: FileHandle
            if file == "-" {
                handle = .standardInput
            } else {
                guard let h = FileHandle(forReadingAtPath: file) else { throw CLIFailure(message: "cannot open \(file)") }
                handle = h
            }
            let s = try store.open()
            defer { s.close() }
            let started = Date()
            var lines = LineReader(handle: handle)
            var lineNumber = 0
            var imported = 0
            var duplicates = 0
            var inflight: (task: Task<AppendResult, any Error>, lines: [Int])?
            var gate = RawAppendGate(store: s)
            /// Waits for the batch in flight and counts it; its failure stops the import. An
            /// event the store refuses (the store's checks are the import's) is named by its line.
            func settle() async throws {
                guard let f = inflight else { return }
                inflight = nil
                do {
                    let r = try await f.task.value
                    imported += r.appended
                    duplicates += f.lines.count - r.appended
                } catch let e as EventStoreError {
                    if e.code == .invalidEvent, let i = e.eventIndex, let problem = e.eventProblem {
                        throw CLIFailure(
                            message:
                                "line \(f.lines[i]): event: \(problem); import stopped, nothing of lines \(f.lines[0])–\(f.lines[i]) was appended (\(imported) events imported before)",
                            exitCode: 2)
                    }
                    throw CLIFailure(
                        message:
                            "lines \(f.lines[0])–\(f.lines[f.lines.count - 1]): \(e); nothing of this batch was appended (\(imported) events imported before it)"
                    )
                }
            }
            while true {
                // The next batch of non-blank lines, with their line numbers.
                var raw: [(number: Int, line: Data)] = []
                raw.reserveCapacity(batch)
                while raw.count < batch, let line = lines.next() {
                    lineNumber += 1
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    raw.append((lineNumber, line))
                }
                if raw.isEmpty { break }
                let parsed = Self.parse(raw, actor: actor)
                if let bad = parsed.firstIndex(where: { if case .failure = $0 { true } else { false } }), case .failure(let error) = parsed[bad] {
                    try await settle()
                    throw CLIFailure(
                        message:
                            "line \(raw[bad].number): \(error); import stopped, nothing of lines \(raw[0].number)–\(raw[bad].number) was appended (\(imported) events imported before)",
                        exitCode: 2)
                }
                let events = parsed.map { try! $0.get() }
                // Domain events are checked as `submit` checks them, in order (an event may refer
                // to an asset an earlier line created), while the previous batch is appended.
                if !unchecked {
                    for (i, e) in events.enumerated() {
                        let problems = try await gate.problems(e)
                        guard problems.isEmpty else {
                            try await settle()
                            throw CLIFailure(
                                message:
                                    "line \(raw[i].number): \(e.type) on \(e.stream): \(problems.map(\.description).joined(separator: "; ")); import stopped, nothing of lines \(raw[0].number)–\(raw[i].number) was appended (\(imported) events imported before)",
                                exitCode: 2)
                        }
                    }
                }
                try await settle()
                inflight = (Task { try await s.append(events) }, raw.map(\.number))
            }
            try await settle()
            let secs = Date().timeIntervalSince(started)
            let head = try await s.headPosition()
            print(
                "{\"imported\":\(imported),\"alreadyPresent\":\(duplicates),\"lines\":\(lineNumber),\"head\":\(head),\"seconds\":\(String(format: "%.3f", secs))}"
            )
        }

        /// Parses lines into events, in two halves on both cores (large batches).
        static func parse(_ raw: [(number: Int, line: Data)], actor: String) -> [Result<ProposedEvent, any Error>] {
            let lanes = raw.count >= Parallel.smallEvents ? 2 : 1
            return Parallel.map(lanes) { lane in
                ((raw.count * lane / lanes)..<(raw.count * (lane + 1) / lanes)).map { i in
                    Result {
                        let e = try EventJSON.proposedEvent(fromLine: raw[i].line, defaultActor: actor)
                        if LogRecords.isReserved(e.stream) { throw CLIFailure(message: "stream: \(Log.reservedCategory)") }
                        return e
                    }
                }
            }.flatMap { $0 }
        }
    }

    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print events as NDJSON.",
            discussion: "--from is a global position, except with --stream where it is the stream version (default 0).")
        @OptionGroup var store: StoreOptions
        @Option(help: "First position (or stream version with --stream).") var from: UInt64?
        @Option(help: "Only this stream.") var stream: String?
        @Option(help: "Only this category (the part before '-').") var category: String?
        @Option(help: "At most this many events.") var limit: Int?

        func validate() throws {
            if stream != nil && category != nil { throw ValidationError("--stream and --category exclude each other") }
            if let limit, limit < 0 { throw ValidationError("--limit must be ≥ 0") }
        }

        func run() async throws {
            let s = try store.open(readOnly: true)
            defer { s.close() }
            var out = StdoutWriter()
            var remaining = limit ?? Int.max
            let page = 4096
            if let stream {
                var version = from ?? 0
                while remaining > 0 {
                    let events = try await s.readStream(stream, from: version, limit: min(page, remaining))
                    guard let last = events.last else { break }
                    for e in events { out.line(EventJSON.line(for: e)) }
                    remaining -= events.count
                    version = last.version + 1
                }
            } else {
                var position = max(from ?? 1, 1)
                while remaining > 0 {
                    let events =
                        if let category {
                            try await s.readCategory(category, from: position, limit: min(page, remaining))
                        } else {
                            try await s.read(from: position, limit: min(page, remaining))
                        }
                    guard let last = events.last else { break }
                    for e in events { out.line(EventJSON.line(for: e)) }
                    remaining -= events.count
                    position = last.position + 1
                }
            }
            out.flush()
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Head position and hash, counts and size.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let s = try store.open(readOnly: true)
            defer { s.close() }
            let st = try await s.stats()
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(st), as: UTF8.self))
            } else {
                print("backend     \(st.backend) (\(store.location))")
                print("head        \(st.head)")
                print("head hash   \(st.headHash)")
                print("events      \(st.events)")
                print("streams     \(st.streams)")
                print("categories  \(st.categories)")
                print("segments    \(st.segments)")
                print("bytes       \(st.bytes)")
            }
        }
    }
}

/// Splits a file handle into lines without loading the whole file.
struct LineReader {
    let handle: FileHandle
    /// Bytes read and not yet returned start at `start`; the buffer is compacted before each
    /// read, so a line is found with one `memchr` and copied once.
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> Data? {
        while true {
            let from = start
            let nl: Int? = buffer.withUnsafeBytes { p in
                guard from < p.count, let hit = memchr(p.baseAddress! + from, 0x0A, p.count - from) else { return nil }
                return hit - UnsafeMutableRawPointer(mutating: p.baseAddress!)
            }
            if let nl {
                start = nl + 1
                return Data(buffer[from..<nl])
            }
            if eof {
                guard from < buffer.count else { return nil }
                start = buffer.count
                return Data(buffer[from...])
            }
            buffer.removeFirst(from)
            start = 0
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
