internal import CLibPQ
import EventLog
import Foundation

/// One libpq connection.
///
/// libpq calls block, so a connection is only ever used from the thread or serial queue that
/// owns it (the store's writer thread, one reader queue each, the listener thread); never from
/// the Swift concurrency pool. `@unchecked Sendable` because that ownership, not the type
/// system, is what keeps access serial.
final class PGConnection: @unchecked Sendable {
    private var conn: OpaquePointer?
    let conninfo: String
    /// SQL text → name of its server-side prepared statement in this session.
    private var prepared: [String: String] = [:]

    init(conninfo: String) throws {
        self.conninfo = conninfo
        try connect()
    }

    deinit { if let conn { PQfinish(conn) } }

    private func connect() throws {
        if let conn { PQfinish(conn) }
        prepared = [:]
        // A connection string libpq cannot parse is a usage error, not a retryable failure.
        let parsed = ConnInfo.parse(conninfo)
        if let problem = parsed.problem {
            throw PostgresError(code: .invalidConnectionString, message: ConnInfo.redact(problem, conninfo: conninfo, password: nil))
        }
        conn = PQconnectdb(conninfo)
        guard let c = conn, PQstatus(c) == CONNECTION_OK else {
            let raw = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let c = conn { PQfinish(c) }
            conn = nil
            let msg = ConnInfo.redact(raw.trimmingCharacters(in: .whitespacesAndNewlines), conninfo: conninfo, password: parsed.password)
            // libpq checks some values (sslmode, …) only when connecting: "invalid …" is still a usage error.
            let code: PostgresError.Code =
                msg.hasPrefix("invalid ") ? .invalidConnectionString : ConnInfo.isRejection(msg) ? .connectRejected : .connectFailed
            throw PostgresError(code: code, message: msg)
        }
        // Deterministic session: UTC and no surprises from the server's defaults.
        _ = try? exec("SET TIME ZONE 'UTC'")
        _ = try? exec("SET client_min_messages = warning")
    }

    var isHealthy: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Reconnects if the connection was lost (after a server restart, say).
    func ensureConnected() throws {
        if !isHealthy { try connect() }
    }

    /// Drops the connection and opens a new one.
    func reconnect() throws { try connect() }

    var socket: Int32 { conn.map { PQsocket($0) } ?? -1 }

    /// Runs one statement with parameters (never interpolated into the SQL).
    /// Results come back in binary format; see `PGRows`.
    @discardableResult
    func exec(_ sql: String, _ params: [PGParam] = []) throws -> PGRows {
        guard let c = conn else { throw PostgresError(code: .connectionLost, message: "not connected") }
        let result: OpaquePointer? = params.withPQParams { types, values, lengths, formats in
            PQexecParams(c, sql, Int32(params.count), types, values, lengths, formats, 1)
        }
        return try consume(result)
    }

    /// Prepares `sql` once per session (named statement, parameter types from `params`), so
    /// later `exec`/`pipeline` calls with the same text skip parsing and, after a few runs,
    /// planning. For the statements of the append hot path.
    func prepareOnce(_ sql: String, _ params: [PGParam]) throws {
        guard prepared[sql] == nil else { return }
        guard let c = conn else { throw PostgresError(code: .connectionLost, message: "not connected") }
        let name = "presidio_\(prepared.count)"
        let types = params.map(\.oid)
        _ = try consume(PQprepare(c, name, sql, Int32(types.count), types))
        prepared[sql] = name
    }

    /// Sends several statements in one flight (libpq pipeline mode) and returns their results
    /// in order: one network round trip instead of one per statement. The server still runs
    /// them one after another; after a failure the rest are skipped and the first error is
    /// thrown (inside a transaction, the caller must then roll back).
    func pipeline(_ statements: [(sql: String, params: [PGParam])]) throws -> [PGRows] {
        guard let c = conn else { throw PostgresError(code: .connectionLost, message: "not connected") }
        guard PQenterPipelineMode(c) == 1 else { throw PostgresError(code: .protocolViolation, message: "cannot enter pipeline mode: \(lastError)") }
        defer { PQexitPipelineMode(c) }
        for st in statements {
            let name = prepared[st.sql]
            let sent = st.params.withPQParams { types, values, lengths, formats in
                if let name {
                    PQsendQueryPrepared(c, name, Int32(st.params.count), values, lengths, formats, 1)
                } else {
                    PQsendQueryParams(c, st.sql, Int32(st.params.count), types, values, lengths, formats, 1)
                }
            }
            guard sent == 1 else { throw PostgresError(code: .connectionLost, message: lastError) }
        }
        guard PQpipelineSync(c) == 1 else { throw PostgresError(code: .connectionLost, message: lastError) }
        var results: [PGRows] = []
        var firstError: PostgresError?
        for _ in statements {
            guard let r = PQgetResult(c) else { throw PostgresError(code: .connectionLost, message: lastError) }
            switch PQresultStatus(r) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK: results.append(PGRows(copying: r))
            case PGRES_PIPELINE_ABORTED: break
            default: if firstError == nil { firstError = error(from: r) }
            }
            PQclear(r)
            // Each statement's results end with a NULL.
            while let extra = PQgetResult(c) { PQclear(extra) }
        }
        // Then the sync point.
        while let r = PQgetResult(c) {
            let done = PQresultStatus(r) == PGRES_PIPELINE_SYNC
            PQclear(r)
            if done { break }
        }
        if let firstError { throw firstError }
        return results
    }

    private func consume(_ result: OpaquePointer?) throws -> PGRows {
        guard let r = result else {
            throw PostgresError(code: .connectionLost, message: lastError)
        }
        defer { PQclear(r) }
        switch PQresultStatus(r) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_COPY_IN:
            return PGRows(copying: r)
        default:
            throw error(from: r)
        }
    }

    private var lastError: String {
        conn.map { String(cString: PQerrorMessage($0)).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "no connection"
    }

    private func error(from r: OpaquePointer) -> PostgresError {
        func field(_ f: UInt8) -> String? {
            guard let p = PQresultErrorField(r, Int32(f)) else { return nil }
            return String(cString: p)
        }
        let sqlstate = field(UInt8(ascii: "C"))
        var msg = field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(r))
        if msg.isEmpty { msg = lastError }
        if let d = field(UInt8(ascii: "D")) { msg += " (\(d))" }
        var code = PostgresError.Code.from(sqlstate: sqlstate)
        if sqlstate == nil && isHealthy { code = .other }
        return PostgresError(
            code: code, sqlstate: sqlstate, message: msg.trimmingCharacters(in: .whitespacesAndNewlines),
            constraint: field(UInt8(ascii: "n")))
    }

    /// Runs `body` inside BEGIN … COMMIT; rolls back if it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN")
        do {
            let value = try body()
            try exec("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? exec("ROLLBACK") }
            throw error
        }
    }

    /// `COPY … FROM STDIN` with rows already in COPY text format.
    func copyIn(_ sql: String, data: [UInt8]) throws {
        guard let c = conn else { throw PostgresError(code: .connectionLost, message: "not connected") }
        _ = try consume(PQexec(c, sql))
        let sent = data.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { PQputCopyData(c, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1, PQputCopyEnd(c, nil) == 1 else { throw PostgresError(code: .connectionLost, message: lastError) }
        while let r = PQgetResult(c) {
            defer { PQclear(r) }
            if PQresultStatus(r) != PGRES_COMMAND_OK { throw error(from: r) }
        }
    }

    /// Notifications received so far (after `LISTEN`); call when the socket is readable.
    func drainNotifications() throws -> [(channel: String, payload: String)] {
        guard let c = conn else { throw PostgresError(code: .connectionLost, message: "not connected") }
        guard PQconsumeInput(c) == 1 else { throw PostgresError(code: .connectionLost, message: lastError) }
        var out: [(String, String)] = []
        while let n = PQnotifies(c) {
            out.append((String(cString: n.pointee.relname), String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }
}

/// A statement parameter, sent in binary format with an explicit type OID.
enum PGParam: Sendable {
    case int8(Int64)
    case int4(Int32)
    case text(String)
    case bytea([UInt8])
    case uuid(UUID)
    case null(oid: UInt32)
    /// A `text[]` array, sent in text format as an array literal (elements quoted and escaped).
    case textArray([String])
    /// A `uuid[]` array, sent in text format.
    case uuidArray([UUID])
    /// Any array in text format: `oid` is the array type (int8[] 1016, int4[] 1007, bytea[] 1001 …),
    /// elements already in the element type's text form; nil is NULL.
    case array(oid: UInt32, [String?])
    /// An array already in binary wire format (see `PGBinaryArray`).
    case binaryArray(PGBinaryArray)

    var oid: UInt32 {
        switch self {
        case .int8: 20
        case .int4: 23
        case .text: 25
        case .bytea: 17
        case .uuid: 2950
        case .null(let o): o
        case .textArray: 1009
        case .uuidArray: 2951
        case .array(let oid, _): oid
        case .binaryArray(let a): a.arrayOid
        }
    }

    static func bytea(_ d: Data) -> PGParam { .bytea([UInt8](d)) }

    /// bytea in its text (hex) input form, for array literals.
    static func byteaText(_ d: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        out.reserveCapacity(2 + d.count * 2)
        for b in d {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    var encoded: [UInt8]? {
        switch self {
        case .int8(let v): return withUnsafeBytes(of: v.bigEndian) { Array($0) }
        case .int4(let v): return withUnsafeBytes(of: v.bigEndian) { Array($0) }
        case .text(let s): return Array(s.utf8)
        case .bytea(let b): return b
        case .uuid(let u): return withUnsafeBytes(of: u.uuid) { Array($0) }
        case .null: return nil
        case .uuidArray(let ids): return Array(("{" + ids.map(\.uuidString).joined(separator: ",") + "}").utf8)
        case .array(_, let items): return PGParam.arrayLiteral(items)
        case .binaryArray(let a): return a.bytes
        case .textArray(let items):
            var s = "{"
            for (i, item) in items.enumerated() {
                if i > 0 { s += "," }
                s += "\""
                for ch in item.unicodeScalars {
                    if ch == "\"" || ch == "\\" { s += "\\" }
                    s.unicodeScalars.append(ch)
                }
                s += "\""
            }
            return Array((s + "}").utf8)
        }
    }

    /// 1 = binary, 0 = text.
    var format: Int32 {
        switch self {
        case .textArray, .uuidArray, .array: return 0
        case .binaryArray: return 1
        default: return 1
        }
    }

    /// `{"a","b\\c",NULL}`: every element quoted, `"` and `\` escaped.
    static func arrayLiteral(_ items: [String?]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(items.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let item else {
                out += Array("NULL".utf8)
                continue
            }
            out.append(UInt8(ascii: "\""))
            for b in item.utf8 {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(b)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// A one-dimensional array parameter built directly in PostgreSQL's binary format:
/// `ndim | flags | element oid | length | lower bound | (len | bytes)*`.
///
/// Appends send the event columns this way: no hex encoding of payloads on the client and no
/// text parsing on the server, which is what text-format arrays cost.
struct PGBinaryArray: Sendable {
    let arrayOid: UInt32
    private(set) var bytes: [UInt8] = []
    private var count: Int32 = 0

    /// The element types the log's columns use, with their array and element type OIDs.
    enum Element {
        case int8, int4, text, uuid, bytea

        var oids: (array: UInt32, element: UInt32) {
            switch self {
            case .int8: (1016, 20)
            case .int4: (1007, 23)
            case .text: (1009, 25)
            case .uuid: (2951, 2950)
            case .bytea: (1001, 17)
            }
        }
    }

    /// An empty one-dimensional array of `element`, with room for `capacity` bytes of items.
    init(_ element: Element, capacity: Int = 0) {
        let (arrayOid, elementOid) = element.oids
        self.arrayOid = arrayOid
        bytes.reserveCapacity(20 + capacity)
        for v in [Int32(1), 0] { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
        withUnsafeBytes(of: elementOid.bigEndian) { bytes += $0 }
        for v in [Int32(0), 1] { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    }

    static func int8(_ values: [Int64]) -> PGBinaryArray {
        var a = PGBinaryArray(.int8, capacity: values.count * 12)
        for v in values { a.append(int8: v) }
        return a
    }

    mutating func append(int8 v: Int64) { withUnsafeBytes(of: v.bigEndian) { append($0) } }
    mutating func append(int4 v: Int32) { withUnsafeBytes(of: v.bigEndian) { append($0) } }
    mutating func append(uuid u: UUID) { withUnsafeBytes(of: u.uuid) { append($0) } }
    mutating func append(text s: String) {
        // In place for native strings (`var s = s; s.withUTF8` cost ~30 ns a call).
        if s.utf8.withContiguousStorageIfAvailable({ append(UnsafeRawBufferPointer($0)) }) != nil { return }
        var s = s
        s.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }
    mutating func append(data d: Data) { d.withUnsafeBytes { append($0) } }

    mutating func append(_ element: UnsafeRawBufferPointer) {
        withUnsafeBytes(of: Int32(element.count).bigEndian) { bytes += $0 }
        bytes += element
        bump()
    }

    mutating func appendNull() {
        withUnsafeBytes(of: Int32(-1).bigEndian) { bytes += $0 }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: Int32(1).bigEndian, toByteOffset: 4, as: Int32.self) }
        bump()
    }

    private mutating func bump() {
        count += 1
        let c = count
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: c.bigEndian, toByteOffset: 12, as: Int32.self) }
    }
}

extension Array where Element == PGParam {
    /// Lays the parameters out as libpq's four parallel C arrays for the duration of `body`.
    fileprivate func withPQParams<R>(
        _ body: (UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        if isEmpty { return body(nil, nil, nil, nil) }
        let types = map(\.oid)
        let formats = map(\.format)
        let encodedValues = map(\.encoded)
        let lengths = encodedValues.map { Int32($0?.count ?? 0) }
        // One contiguous buffer holding every value, so pointers stay valid together.
        var storage = [UInt8]()
        var offsets = [Int?]()
        for v in encodedValues {
            if let v {
                offsets.append(storage.count)
                storage += v
                storage.append(0)  // text params need a terminator; harmless for binary ones
            } else {
                offsets.append(nil)
            }
        }
        if storage.isEmpty { storage.append(0) }
        return storage.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { chars in
                let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { chars.baseAddress! + $0 } }
                return values.withUnsafeBufferPointer { v in
                    body(types, v.baseAddress, lengths, formats)
                }
            }
        }
    }
}

/// A result copied out of libpq (binary format), so it outlives `PQclear`.
struct PGRows: Sendable {
    let count: Int
    let columns: Int
    private let cells: [[UInt8]?]
    let affected: Int

    init(copying r: OpaquePointer) {
        count = Int(PQntuples(r))
        columns = Int(PQnfields(r))
        var cells: [[UInt8]?] = []
        cells.reserveCapacity(count * columns)
        for row in 0..<Int32(count) {
            for col in 0..<Int32(columns) {
                if PQgetisnull(r, row, col) == 1 {
                    cells.append(nil)
                } else {
                    let n = Int(PQgetlength(r, row, col))
                    let p = PQgetvalue(r, row, col)!
                    cells.append(p.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) })
                }
            }
        }
        self.cells = cells
        affected = Int(String(cString: PQcmdTuples(r))) ?? 0
    }

    func raw(_ row: Int, _ col: Int) -> [UInt8]? { cells[row * columns + col] }
    func isNull(_ row: Int, _ col: Int) -> Bool { raw(row, col) == nil }

    func int8(_ row: Int, _ col: Int) throws -> Int64 {
        guard let b = raw(row, col), b.count == 8 else { throw Self.bad("int8", row, col) }
        return b.withUnsafeBytes { Int64(bigEndian: $0.loadUnaligned(as: Int64.self)) }
    }
    func int4(_ row: Int, _ col: Int) throws -> Int32 {
        guard let b = raw(row, col), b.count == 4 else { throw Self.bad("int4", row, col) }
        return b.withUnsafeBytes { Int32(bigEndian: $0.loadUnaligned(as: Int32.self)) }
    }
    func text(_ row: Int, _ col: Int) throws -> String {
        guard let b = raw(row, col) else { throw Self.bad("text", row, col) }
        return String(decoding: b, as: UTF8.self)
    }
    func bytes(_ row: Int, _ col: Int) throws -> [UInt8] {
        guard let b = raw(row, col) else { throw Self.bad("bytea", row, col) }
        return b
    }
    func uuid(_ row: Int, _ col: Int) throws -> UUID? {
        guard let b = raw(row, col) else { return nil }
        guard b.count == 16 else { throw Self.bad("uuid", row, col) }
        var t: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &t) { $0.copyBytes(from: b) }
        return UUID(uuid: t)
    }

    private static func bad(_ type: String, _ row: Int, _ col: Int) -> PostgresError {
        PostgresError(code: .protocolViolation, message: "column \(col) of row \(row) is not a binary \(type)")
    }
}
