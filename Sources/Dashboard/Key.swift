/// A key press, decoded from the bytes a terminal sends in raw mode.
public enum Key: Equatable, Sendable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, tab, backTab, backspace, escape
    case ctrlC, ctrlL

    /// Splits `bytes` into keys; an incomplete escape sequence at the end is returned as rest.
    public static func parse(_ bytes: [UInt8]) -> (keys: [Key], rest: [UInt8]) {
        var keys: [Key] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x1B:
                // ESC alone, or ESC [ … / ESC O …
                guard i + 1 < bytes.count else {
                    keys.append(.escape)
                    i += 1
                    continue
                }
                let n = bytes[i + 1]
                if n != UInt8(ascii: "[") && n != UInt8(ascii: "O") {
                    keys.append(.escape)
                    i += 1
                    continue
                }
                var j = i + 2
                while j < bytes.count, !(0x40...0x7E).contains(bytes[j]) { j += 1 }
                guard j < bytes.count else { return (keys, Array(bytes[i...])) }
                let params = String(decoding: bytes[(i + 2)..<j], as: UTF8.self)
                switch (bytes[j], params) {
                case (UInt8(ascii: "A"), _): keys.append(.up)
                case (UInt8(ascii: "B"), _): keys.append(.down)
                case (UInt8(ascii: "C"), _): keys.append(.right)
                case (UInt8(ascii: "D"), _): keys.append(.left)
                case (UInt8(ascii: "H"), _): keys.append(.home)
                case (UInt8(ascii: "F"), _): keys.append(.end)
                case (UInt8(ascii: "Z"), _): keys.append(.backTab)
                case (UInt8(ascii: "~"), "5"): keys.append(.pageUp)
                case (UInt8(ascii: "~"), "6"): keys.append(.pageDown)
                case (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): keys.append(.home)
                case (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): keys.append(.end)
                default: break
                }
                i = j + 1
            case 0x0D, 0x0A: keys.append(.enter); i += 1
            case 0x09: keys.append(.tab); i += 1
            case 0x7F, 0x08: keys.append(.backspace); i += 1
            case 0x03: keys.append(.ctrlC); i += 1
            case 0x0C: keys.append(.ctrlL); i += 1
            case 0x00..<0x20: i += 1
            default:
                // One UTF-8 scalar.
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                guard i + length <= bytes.count else { return (keys, Array(bytes[i...])) }
                if let ch = String(decoding: bytes[i..<(i + length)], as: UTF8.self).first { keys.append(.char(ch)) }
                i += length
            }
        }
        return (keys, [])
    }
}
