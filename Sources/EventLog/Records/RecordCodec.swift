import Foundation

/// The canonical binary form of a record and the hash chain over it.
///
/// Documented byte for byte in `events/README.md` ("Record encoding") so an auditor can
/// re-implement verification without this code. All integers are big-endian.
///
/// ```
/// canonical header(n) =
///   u8 format(=1) | u64 position | u64 streamVersion | 16 eventId | i64 recordedAt(µs UTC)
///   | u16+utf8 stream | u16+utf8 type | u32 schemaVersion | u16+utf8 actor
///   | u8 flags(bit0 correlation, bit1 causation) | [16 correlationId] | [16 causationId]
///   | u32+bytes metadata | u32 payloadLength
/// hash(n) = SHA-256( hash(n-1) | header(n) | SHA-256(payload(n)) ),  hash(0) = 32 zero bytes
/// ```
///
/// Hashing the payload's digest rather than the payload lets a payload be redacted later
/// (kept as its digest) without breaking the chain.
public enum RecordCodec {
    public static let formatVersion: UInt8 = 1
    /// hash(0): the genesis of every chain.
    public static let genesisHash = Data(repeating: 0, count: 32)

    public static let maxPayloadBytes = 4 << 20
    public static let maxMetadataBytes = 64 << 10
    public static let maxNameBytes = 255
    /// The largest schema version every store holds (PostgreSQL's `integer`).
    public static let maxSchemaVersion = UInt32(Int32.max)

    /// Why `event` cannot be stored, or nil. Shared by every store so they refuse the same things.
    public static func problem(with event: ProposedEvent, tombstones: Bool = false) -> String? {
        if let p = StreamName.problem(with: event.stream) { return "stream: \(p)" }
        return problemBesidesStream(with: event, tombstones: tombstones)
    }

    /// `problem(with:)` for an event whose stream name was checked already.
    /// `tombstones`: whether a redacted payload may be stored (a verbatim copy of a redacted
    /// log); an ordinary append may not begin its payload as a tombstone does.
    static func problemBesidesStream(with event: ProposedEvent, tombstones: Bool = false) -> String? {
        if event.type.isEmpty { return "type: must not be empty" }
        if event.type.utf8.count > maxNameBytes { return "type: must be at most \(maxNameBytes) bytes" }
        if event.type.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) { return "type: must not contain spaces or control characters" }
        if event.actor.isEmpty { return "actor: must not be empty" }
        if event.actor.utf8.count > maxNameBytes { return "actor: must be at most \(maxNameBytes) bytes" }
        if event.actor.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "actor: must not contain control characters (NUL, line breaks …)" }
        if event.schemaVersion == 0 || event.schemaVersion > maxSchemaVersion {
            return "schemaVersion: must be between 1 and \(maxSchemaVersion) (got \(event.schemaVersion))"
        }
        if event.payload.count > maxPayloadBytes { return "data: must be at most \(maxPayloadBytes) bytes (got \(event.payload.count))" }
        if event.metadata.count > maxMetadataBytes { return "metadata: must be at most \(maxMetadataBytes) bytes (got \(event.metadata.count))" }
        if let p = JSONSyntax.objectProblem(event.payload) { return "data: \(p)" }
        if !tombstones, Redaction.isRedacted(event.payload) {
            return "data: the member \"\(Redaction.marker)\" is reserved for redaction tombstones (presidio audit redact)"
        }
        if let p = JSONSyntax.objectProblem(event.metadata) { return "metadata: \(p)" }
        return nil
    }

    /// Byte offsets of the fields the writer fills in after planning (see `CommitEncoder`):
    /// they follow the one-byte format, in the order `writeHeader` writes them.
    static let positionOffset = 1
    static let versionOffset = 9
    static let recordedAtOffset = 33

    /// Appends the canonical header of a record to `w`.
    static func writeHeader<W: ByteSink>(
        _ w: inout W, position: UInt64, version: UInt64, event: ProposedEvent, recordedAt: Int64
    ) {
        w.u8(formatVersion)
        w.u64(position)
        w.u64(version)
        w.uuid(event.id)
        w.i64(recordedAt)
        w.string16(event.stream)
        w.string16(event.type)
        w.u32(event.schemaVersion)
        w.string16(event.actor)
        w.u8((event.correlationId != nil ? 1 : 0) | (event.causationId != nil ? 2 : 0))
        if let c = event.correlationId { w.uuid(c) }
        if let c = event.causationId { w.uuid(c) }
        w.blob32(event.metadata)
        w.u32(UInt32(event.payload.count))
    }

    /// Bytes `writeHeader` writes for `event` (kept beside it; `CommitEncoder` checks the two agree).
    static func headerSize(_ event: ProposedEvent) -> Int {
        1 + 8 + 8 + 16 + 8 + 2 + event.stream.utf8.count + 2 + event.type.utf8.count + 4 + 2 + event.actor.utf8.count + 1
            + (event.correlationId != nil ? 16 : 0) + (event.causationId != nil ? 16 : 0) + 4 + event.metadata.count + 4
    }

    /// Bytes of a framed record: length, header, payload, hash, CRC, length.
    static func framedSize(header: Int, payload: Int) -> Int { 4 + header + payload + 32 + 8 }

    /// The canonical header of a new record (for stores that build records themselves).
    public static func header(position: UInt64, version: UInt64, event: ProposedEvent, recordedAt: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 128 + event.metadata.count)
        writeHeader(&w, position: position, version: version, event: event, recordedAt: recordedAt)
        return w.bytes
    }

    /// The canonical header of an already recorded event (for verification and other stores).
    public static func header(of e: RecordedEvent) -> [UInt8] {
        var w = ByteWriter(capacity: 128 + e.metadata.count)
        writeHeader(&w, position: e.position, version: e.version, event: e.asProposed, recordedAt: e.recordedAt)
        return w.bytes
    }

    /// hash(n) from hash(n-1), the canonical header and the payload.
    public static func chainHash<H: ContiguousBytes, P: ContiguousBytes>(previous: Data, header: H, payload: P) -> Data {
        header.withUnsafeBytes { h in
            chainHash(previous: Digest32(previous), header: h, payloadDigest: payload.withUnsafeBytes { payloadDigest($0) })
        }.data
    }

    /// SHA-256 of a payload. Independent of the chain, so appenders compute it in their own
    /// task, in parallel, and the single writer only extends the chain.
    static func payloadDigest(_ payload: UnsafeRawBufferPointer) -> Digest32 { FastSHA256.hash(payload) }

    static func payloadDigest(_ payload: Data) -> Digest32 { payload.withUnsafeBytes { FastSHA256.hash($0) } }

    /// hash(n) as an inline value: the writer's and the auditor's hot path (no `Data` per record).
    static func chainHash(previous: Digest32, header: UnsafeRawBufferPointer, payloadDigest: Digest32) -> Digest32 {
        withUnsafeBytes(of: previous) { p in withUnsafeBytes(of: payloadDigest) { d in FastSHA256.hash(p, header, d) } }
    }

    /// Recomputes `event.hash` from the previous hash; used by `verify` for every store. A
    /// redacted payload is hashed as its tombstone says the original was (`Redaction.chained`).
    public static func expectedHash(of event: RecordedEvent, previous: Data) -> Data {
        chainHash(previous: Digest32(previous), of: event).data
    }

    static func chainHash(previous: Digest32, of event: RecordedEvent) -> Digest32 {
        var h = header(of: event)
        let (digest, length) = event.payload.withUnsafeBytes { Redaction.chained($0) }
        if length != UInt32(event.payload.count) { setPayloadLength(&h, length) }
        return h.withUnsafeBytes { chainHash(previous: previous, header: $0, payloadDigest: digest) }
    }

    /// Overwrites the payload length, the canonical header's last field.
    static func setPayloadLength(_ header: inout [UInt8], _ length: UInt32) {
        let n = header.count
        header[n - 4] = UInt8(length >> 24)
        header[n - 3] = UInt8((length >> 16) & 0xFF)
        header[n - 2] = UInt8((length >> 8) & 0xFF)
        header[n - 1] = UInt8(length & 0xFF)
    }

    // MARK: Framed record inside a block
    //
    // u32 bodyLength | body = header | payload | hash(32) | u32 crc32c(body) | u32 bodyLength

    /// Computes the CRC-32C of every framed record in `p` (written by `CommitEncoder`).
    static func fillCRCs(_ p: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 4 <= p.count {
            let length = Int(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            let body = UnsafeRawBufferPointer(rebasing: p[offset + 4..<offset + 4 + length])
            p.storeBytes(of: CRC32C.checksum(body).bigEndian, toByteOffset: offset + 4 + length, as: UInt32.self)
            offset += 4 + length + 8
        }
    }

    enum DecodeFailure: Error {
        case framing(String)
        case crc
        case body(String)
    }

    /// Decodes one framed record at `r.offset`, checking its CRC unless the caller has already
    /// checked the CRC of the block that holds it.
    static func decodeFramed(_ r: inout ByteReader, checkCRC: Bool = true) -> Result<RecordedEvent, DecodeFailure> {
        guard let length = r.u32() else { return .failure(.framing("truncated length prefix")) }
        guard let body = r.bytes(Int(length)) else { return .failure(.framing("record longer than its block")) }
        guard let crc = r.u32(), let suffix = r.u32() else { return .failure(.framing("truncated record trailer")) }
        guard suffix == length else { return .failure(.framing("length prefix \(length) ≠ suffix \(suffix)")) }
        guard !checkCRC || CRC32C.checksum(body) == crc else { return .failure(.crc) }
        var b = ByteReader(body)
        guard let e = decodeBody(&b) else { return .failure(.body("record body does not parse")) }
        return .success(e)
    }

    static func decodeBody(_ b: inout ByteReader) -> RecordedEvent? {
        guard b.u8() == formatVersion, let position = b.u64(), let version = b.u64(), let id = b.uuid(),
            let recordedAt = b.i64(), let stream = b.string16(), let type = b.string16(),
            let schemaVersion = b.u32(), let actor = b.string16(), let flags = b.u8()
        else { return nil }
        var correlation: UUID?
        var causation: UUID?
        if flags & 1 != 0 { guard let u = b.uuid() else { return nil }; correlation = u }
        if flags & 2 != 0 { guard let u = b.uuid() else { return nil }; causation = u }
        guard let metadata = b.blob32(), let payloadLength = b.u32(), let payload = b.data(Int(payloadLength)),
            let hash = b.data(32), b.remaining == 0
        else { return nil }
        return RecordedEvent(
            position: position, stream: stream, version: version, id: id, type: type, schemaVersion: schemaVersion,
            recordedAt: recordedAt, actor: actor, correlationId: correlation, causationId: causation,
            metadata: metadata, payload: payload, hash: hash)
    }
}

extension RecordedEvent {
    /// The proposal this record was made from (expectation dropped).
    public var asProposed: ProposedEvent {
        ProposedEvent(
            id: id, stream: stream, type: type, schemaVersion: schemaVersion, payload: payload, metadata: metadata,
            actor: actor, correlationId: correlationId, causationId: causationId)
    }
}
