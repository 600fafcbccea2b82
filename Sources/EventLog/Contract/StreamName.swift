/// Stream naming rules shared by every store: `category-id`.
public enum StreamName {
    public static let maxLength = 255

    /// The part before the first `-`.
    public static func category(of stream: String) -> String {
        // By bytes, not characters: this is asked for every event a projection replays.
        let bytes = stream.utf8
        if let dash = bytes.firstIndex(of: UInt8(ascii: "-")) { return String(stream[..<dash]) }
        return stream
    }

    /// Why `stream` is not a valid stream name, or nil.
    public static func problem(with stream: String) -> String? { NameTable.withBytes(stream) { problem(bytes: $0) } }

    /// Why the UTF-8 bytes of a stream name are not a valid one, or nil.
    static func problem(bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.isEmpty { return "must not be empty" }
        if bytes.count > maxLength { return "must be at most \(maxLength) bytes (got \(bytes.count))" }
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else {
            return "must be 'category-id' (no '-' in '\(String(decoding: bytes, as: UTF8.self))')"
        }
        if dash == 0 { return "category before '-' must not be empty" }
        for c in bytes[..<dash] where !(isAlnum(c) || c == UInt8(ascii: "_")) {
            return "category may hold only letters, digits and '_' (got '\(String(decoding: bytes[..<dash], as: UTF8.self))')"
        }
        if dash + 1 == bytes.count { return "id after '-' must not be empty" }
        for c in bytes[(dash + 1)...] where c < 0x20 || c == 0x7F { return "must not contain control characters" }
        return nil
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
}
