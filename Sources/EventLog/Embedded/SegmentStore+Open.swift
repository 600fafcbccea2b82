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
    }

    /// Reads the segment table: footers of sealed segments, a scan of the active one.
    static func openSegments(directory: String, options: Options) throws -> Opened {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .compactMap { n in SegmentFormat.firstPosition(fromFileName: n).map { ($0, n) } }
            .sorted { $0.0 < $1.0 }
        var segments: [SegmentInfo] = []
        var report = RecoveryReport()
        var head: UInt64 = 0
        var headHash = RecordCodec.genesisHash
        var activeEntries: [(stream: String, id: UUID)] = []
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
            if scanned.truncated > 0 {
                report.truncatedBytes = scanned.truncated
                report.truncatedSegment = name
            }
        }
        return Opened(segments: segments, head: head, headHash: headHash, report: report, activeEntries: activeEntries)
    }

    /// Scans the active segment block by block, cutting a torn tail back to the last complete commit.
    private static func scanActive(
        directory: String, name: String, first: UInt64, previousHash: Data, options: Options
    ) throws -> (info: SegmentInfo, lastHash: Data, truncated: UInt64, entries: [(stream: String, id: UUID)]) {
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
                return (
                    SegmentInfo(
                        name: name, file: file, first: first, last: first - 1, dataEnd: UInt64(SegmentFormat.headerSize),
                        sparse: [], sealed: false), previousHash, size, []
                )
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
                if tailEnd > f.offset, try BlockCursor.hasValidBlock(in: file, after: f.offset, end: tailEnd) {
                    throw EventStoreError(
                        .corruption, "\(f.problem) before the tail (valid blocks follow)", position: last + 1, segment: name,
                        offset: f.offset)
                }
                return try finish(tailEnd: tailEnd)
            }
        }
        return try finish(tailEnd: file.endOfNonZero(from: committedEnd, to: size))

        /// `tailEnd`: just past the last non-zero byte after the last complete commit.
        func finish(tailEnd: UInt64) throws -> (info: SegmentInfo, lastHash: Data, truncated: UInt64, entries: [(stream: String, id: UUID)]) {
            // A torn commit is cut off together with the zeros after it (the writer writes
            // new ones); zeros alone are kept and not reported.
            let cut = tailEnd - committedEnd
            if cut > 0 && !options.readOnly {
                let w = try SegmentFile(path: path, writable: true)
                try w.truncate(to: committedEnd)
                try w.sync()
            }
            let info = SegmentInfo(
                name: name, file: file, first: first, last: committedLast, dataEnd: committedEnd, sparse: sparse,
                sealed: false)
            return (info, committedHash, cut, Array(entries[..<committedEntries]))
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
