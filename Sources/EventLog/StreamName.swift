/// Stream naming rules shared by every store: `category-id`.
public enum StreamName {
    public static let maxLength = 255

    /// The part before the first `-`.
    public static func category(of stream: String) -> String {
        if let dash = stream.firstIndex(of: "-") { return String(stream[..<dash]) }
        return stream
    }

    /// Why `stream` is not a valid stream name, or nil.
    public static func problem(with stream: String) -> String? {
        let utf8 = stream.utf8
        if utf8.isEmpty { return "must not be empty" }
        if utf8.count > maxLength { return "must be at most \(maxLength) bytes (got \(utf8.count))" }
        guard let dash = utf8.firstIndex(of: UInt8(ascii: "-")) else {
            return "must be 'category-id' (no '-' in '\(stream)')"
        }
        let category = utf8[..<dash]
        if category.isEmpty { return "category before '-' must not be empty" }
        for c in category where !(isAlnum(c) || c == UInt8(ascii: "_")) {
            return "category may hold only letters, digits and '_' (got '\(String(decoding: category, as: UTF8.self))')"
        }
        if utf8.index(after: dash) == utf8.endIndex { return "id after '-' must not be empty" }
        for c in utf8 where c < 0x20 || c == 0x7F { return "must not contain control characters" }
        return nil
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
}
