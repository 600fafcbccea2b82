import Foundation
import Synchronization

extension SegmentStore {
    struct Opened {
        var segments: [SegmentInfo]
        var head: UInt64
        var headHash: Data
        var report: RecoveryReport
        /// Stream and id of each committed record of the active segment, in position order:
        /// the scan decodes them anyway, so the index need not read the segment again.
        var activeEntries: [(stream: String, id: UUID)] = []
        /// End of the non-zero bytes of the active segment (what a cut takes).
        var tailEnd: UInt64 = 0
    }

    /// Quarantines what follows the last complete commit when the evidence shows a torn write
    /// (or always, with `repairDamage`), and refuses to open over damage otherwise.
    static func settleTail(directory: String, opened: inout Opened, repairDamage: Bool) throws {
        guard let tail = opened.report.tail else { return }
        if tail.kind == .damage && !repairDamage {
            throw EventStoreError(
                .corruption,
                "\(tail.description). Nothing was changed; `presidio log repair` moves these bytes to the quarantine and records the loss in the log",
                position: tail.lastKeptPosition + 1, segment: tail.segment, offset: tail.offset)
        }
        let end = max(opened.tailEnd, tail.offset)
        opened.report.tail = nil
        opened.report.repair = try Quarantine.cut(
            directory: directory, segment: tail.segment, offset: tail.offset, end: end, kind: tail.kind == .tornWrite ? "tornWrite" : "manual",
            lastKeptPosition: tail.lastKeptPosition, missingPositions: tail.missingPositions, reason: tail.reason)
    }

    /// `openSegments`, settled against a writer running beside a read-only open: its scan can
    /// catch the writer mid-commit (a block not yet visible while the next read already sees the
    /// ones after it) or mid-roll (a segment created but not yet headed, one sealed while listed).
    /// So while the folder's lock is held, a finding counts only if a second scan 50 ms later
    /// finds the same one (real damage stays where it is; a write in progress moves on), and a
    /// corruption error is retried; a finding that keeps moving is writes in progress.
    static func openSegmentsSettled(directory: String, options: Options) throws -> Opened {
        guard options.readOnly else { return try openSegments(directory: directory, options: options) }
        var previous: TailFinding?
        func same(_ a: TailFinding, _ b: TailFinding?) -> Bool {
            guard let b else { return false }
            return a.segment == b.segment && a.offset == b.offset && a.kind == b.kind && a.validBlocksFollow == b.validBlocksFollow
        }
        for attempt in 0..<6 {
            let live = DirectoryLock.isHeld(directory: directory)
            do {
                var opened = try openSegments(directory: directory, options: options)
                guard live, let tail = opened.report.tail else { return opened }
                if same(tail, previous) { return opened }
                previous = tail
                if attempt == 5 {
                    opened.report.tail = nil
                    return opened
                }
            } catch let e as EventStoreError where e.code == .corruption && live && attempt < 5 {
                previous = nil
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try openSegments(directory: directory, options: options)
    }

    /// Reads the segment table: footers of sealed segments, a scan of the active one. Changes no
    /// file except to rewrite the header of an empty segment whose creation a crash cut short.
    static func openSegments(directory: String, options: Options) throws -> Opened {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .compactMap { n in SegmentFormat.firstPosition(fromFileName: n).map { ($0, n) } }
            .sorted { $0.0 < $1.0 }
        var segments: [SegmentInfo] = []
        var report = RecoveryReport()
        var head: UInt64 = 0
        var headHash = RecordCodec.genesisHash
        var activeEntries: [(stream: String, id: UUID)] = []
        var tailEnd: UInt64 = 0
        for (i, (first, name)) in names.enumerated() {
            let path = directory + "/" + name
            let isLast = i == names.count - 1
            guard first == head + 1 else {
                throw EventStoreError(
                    .corruption, "segment starts at position \(first) but the previous one ends at \(head)", position: head + 1,
                    segment: name, offset: 0)
            }
            let file = try SegmentFile(path: path, writable: false)
            if let (footer, footerOffset) = try SegmentFormat.readFooter(file), footer.first == first {
                segments.append(
                    SegmentInfo(
                        name: name, file: file, first: first, last: footer.last, dataEnd: footerOffset, sparse: footer.sparse,
                        sealed: true))
                if footer.last >= first {
                    head = footer.last
                    headHash = footer.lastHash
                }
                continue
            }
            guard isLast else {
                throw EventStoreError(
                    .corruption, "sealed segment has no valid footer", position: head + 1, segment: name, offset: try file.size)
            }
            let scanned = try scanActive(directory: directory, name: name, first: first, previousHash: headHash, options: options)
            segments.append(scanned.info)
            activeEntries = scanned.entries
            if scanned.info.last >= first {
                head = scanned.info.last
                headHash = scanned.lastHash
            }
            report.tail = scanned.tail
            tailEnd = scanned.tailEnd
        }
        // A clean shutdown says no write was in progress: nothing at the tail can be torn, and
        // every position it recorded was acknowledged.
        if let clean = CleanShutdown.read(directory: directory), let active = segments.last {
            if clean.head > head {
                var finding =
                    report.tail
                    ?? TailFinding(
                        kind: .damage, segment: active.name, offset: active.dataEnd, bytes: 0, lastKeptPosition: head, reason: "")
                finding.kind = .damage
                finding.missingPositions = clean.head - head
                finding.reason =
                    "the log was closed cleanly at position \(clean.head) but now ends at \(head): \(clean.head - head) acknowledged events are missing"
                report.tail = finding
            } else if var finding = report.tail, finding.kind == .tornWrite {
                finding.kind = .damage
                finding.reason += ", after a clean shutdown at position \(clean.head) (no write was in progress)"
                report.tail = finding
            }
        }
        // Beside a running writer the bytes after the last commit are a commit in progress.
        if options.readOnly, report.tail?.kind == .tornWrite, DirectoryLock.isHeld(directory: directory) { report.tail = nil }
        return Opened(segments: segments, head: head, headHash: headHash, report: report, activeEntries: activeEntries, tailEnd: tailEnd)
    }

    struct Scanned {
        var info: SegmentInfo
        var lastHash: Data
        var tail: TailFinding?
        var tailEnd: UInt64
        var entries: [(stream: String, id: UUID)]
    }

    /// Scans the active segment block by block up to the last complete commit, and says what
    /// follows it (`TailFinding`).
    private static func scanActive(
        directory: String, name: String, first: UInt64, previousHash: Data, options: Options
    ) throws -> Scanned {
        let path = directory + "/" + name
        let file = try SegmentFile(path: path, writable: false)
        let size = try file.size
        let header = try file.read(at: 0, count: SegmentFormat.headerSize)
        let expectedHeader = SegmentFormat.segmentHeader(firstPosition: first)
        if header != expectedHeader {
            // A header is written and synced before any block, so only an empty segment can
            // have a short one (crash while creating it). Anything else is corruption.
            if size <= UInt64(SegmentFormat.headerSize) && !options.readOnly {
                let w = try SegmentFile(path: path, writable: true)
                try w.truncate(to: 0)
                try w.write(expectedHeader, at: 0)
                try w.sync()
                return Scanned(
                    info: SegmentInfo(
                        name: name, file: file, first: first, last: first - 1, dataEnd: UInt64(SegmentFormat.headerSize),
                        sparse: [], sealed: false), lastHash: previousHash, tail: nil, tailEnd: UInt64(SegmentFormat.headerSize), entries: [])
            }
            throw EventStoreError(.corruption, "segment header is damaged", position: first, segment: name, offset: 0)
        }
        var cursor = BlockCursor(file: file, from: UInt64(SegmentFormat.headerSize), end: size)
        var sparse: [BlockRef] = []
        var pendingSparse: [BlockRef] = []
        var committedEnd = UInt64(SegmentFormat.headerSize)
        var committedLast = first - 1
        var committedHash = previousHash
        var last = first - 1
        var lastHash = previousHash
        var lastSparse: UInt64 = 0
        var entries: [(stream: String, id: UUID)] = []
        var committedEntries = 0
        while true {
            guard let step = try cursor.next() else { break }
            switch step {
            case .success(let block):
                guard block.header.firstPosition == last + 1, block.header.count > 0 else {
                    throw EventStoreError(
                        .corruption, "block starts at position \(block.header.firstPosition), expected \(last + 1)",
                        position: last + 1, segment: name, offset: block.offset)
                }
                switch SegmentFormat.decodeRecords(block.raw, header: block.header) {
                case .success(let records):
                    last = block.header.lastPosition
                    lastHash = records[records.count - 1].hash
                    for r in records { entries.append((r.stream, r.id)) }
                case .failure(let p):
                    throw EventStoreError(.corruption, "\(p)", position: last + 1, segment: name, offset: block.offset)
                }
                if lastSparse == 0 || block.offset >= lastSparse + SegmentFormat.sparseEvery {
                    pendingSparse.append(BlockRef(firstPosition: block.header.firstPosition, offset: block.offset))
                    lastSparse = block.offset
                }
                if block.header.flags & SegmentFormat.flagCommitEnd != 0 {
                    committedEnd = block.offset + block.header.frameLength
                    committedLast = last
                    committedHash = lastHash
                    committedEntries = entries.count
                    sparse += pendingSparse
                    pendingSparse = []
                }
            case .failure(let f):
                // Zeros written ahead (`Options.preallocate`) end the data as the end of the file would.
                let tailEnd = try file.endOfNonZero(from: committedEnd, to: size)
                if tailEnd <= committedEnd { return finish(tailEnd: committedEnd, finding: nil) }
                if tailEnd > f.offset, try BlockCursor.hasValidBlock(in: file, after: f.offset, end: tailEnd) {
                    let finding = TailFinding(
                        kind: .damage, segment: name, offset: committedEnd, bytes: tailEnd - committedEnd, lastKeptPosition: committedLast,
                        reason: "\(f.problem) at offset \(f.offset), and valid blocks follow (not a torn write)", validBlocksFollow: true)
                    return finish(tailEnd: tailEnd, finding: finding)
                }
                let (kind, reason) = try TailEvidence.classify(file, bad: f.offset, problem: f.problem, tailEnd: tailEnd, size: size)
                return finish(
                    tailEnd: tailEnd,
                    finding: TailFinding(
                        kind: kind, segment: name, offset: committedEnd, bytes: tailEnd - committedEnd, lastKeptPosition: committedLast,
                        reason: reason))
            }
        }
        let tailEnd = try file.endOfNonZero(from: committedEnd, to: size)
        return finish(
            tailEnd: tailEnd,
            finding: tailEnd > committedEnd
                ? TailFinding(
                    kind: .tornWrite, segment: name, offset: committedEnd, bytes: tailEnd - committedEnd, lastKeptPosition: committedLast,
                    reason: "a commit whose last block was never written") : nil)

        /// `tailEnd`: just past the last non-zero byte after the last complete commit. Nothing
        /// is cut here: the open decides (`settleTail`), and read-only opens only report.
        func finish(tailEnd: UInt64, finding: TailFinding?) -> Scanned {
            let info = SegmentInfo(
                name: name, file: file, first: first, last: committedLast, dataEnd: committedEnd, sparse: sparse,
                sealed: false)
            return Scanned(info: info, lastHash: committedHash, tail: finding, tailEnd: tailEnd, entries: Array(entries[..<committedEntries]))
        }
    }
}

extension SegmentStore {
    /// The stream index of an opened log: each sealed segment's saved part, or a replay of the
    /// segment (whose part is then saved again unless read-only); the active segment's entries
    /// come from the open's scan of it. The whole-index file of earlier versions is removed: the parts replace it.
    static func loadIndex(directory: String, opened: Opened, readOnly: Bool, report: inout RecoveryReport) throws -> StreamIndex {
        var index = StreamIndex()
        for seg in opened.segments where seg.last >= seg.first {
            if seg.sealed, let part = IndexPart.load(directory: directory, first: seg.first, last: seg.last) {
                index.apply(part)
                report.indexParts += 1
                continue
            }
            if !seg.sealed && opened.activeEntries.count == Int(seg.last - seg.first + 1) {
                for (k, e) in opened.activeEntries.enumerated() { index.add(position: seg.first + UInt64(k), stream: e.stream, id: e.id) }
                report.replayedEvents += UInt64(opened.activeEntries.count)
                continue
            }
            var from = seg.first
            while from <= seg.last {
                let events = try readSequential(
                    segments: opened.segments, head: opened.head, from: from, limit: Int(min(65_536, seg.last - from + 1)))
                guard let last = events.last else { break }
                for e in events { index.add(position: e.position, stream: e.stream, id: e.id) }
                report.replayedEvents += UInt64(events.count)
                from = last.position + 1
            }
            if seg.sealed {
                let part = index.takePart(first: seg.first)
                // A part is derived data: if it cannot be saved (a full disk), the store still
                // opens, and the next open replays the segment again.
                if !readOnly, (try? part.save(directory: directory)) != nil { report.indexPartsRebuilt += 1 }
            }
        }
        if !readOnly {
            unlink(directory + "/index.snapshot")
            // A part whose save was cut short by a crash left only its temporary file.
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            where name.hasPrefix("index-") && name.hasSuffix(".part.tmp") {
                unlink(directory + "/" + name)
            }
        }
        return index
    }
}
