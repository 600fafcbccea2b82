/// How a cell is drawn. Colours are the 16 ANSI ones; `NO_COLOR` keeps only bold, dim and
/// reverse (https://no-color.org).
public struct Style: Hashable, Sendable {
    public enum Color: UInt8, Sendable { case black = 0, red, green, yellow, blue, magenta, cyan, white, gray = 60 }
    public var fg: Color?
    public var bg: Color?
    public var bold = false
    public var dim = false
    public var reverse = false

    public init(fg: Color? = nil, bg: Color? = nil, bold: Bool = false, dim: Bool = false, reverse: Bool = false) {
        self.fg = fg
        self.bg = bg
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
    }

    public static let plain = Style()
    public static let header = Style(fg: .black, bg: .cyan, bold: true)
    public static let selected = Style(reverse: true)
    public static let muted = Style(dim: true)

    /// The SGR sequence that sets this style from a reset.
    func sgr(color: Bool) -> String {
        var codes = ["0"]
        if bold { codes.append("1") }
        if dim { codes.append("2") }
        if reverse { codes.append("7") }
        if color, let fg { codes.append(String(30 + Int(fg.rawValue))) }
        if color, let bg { codes.append(String(40 + Int(bg.rawValue))) }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}

/// A screen's worth of cells. Views draw into one; the renderer compares it with the one on
/// the terminal and writes only the cells that changed.
public struct ScreenBuffer: Equatable, Sendable {
    public let width: Int
    public let height: Int
    var chars: [Character]
    var styles: [Style]

    public init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        chars = Array(repeating: " ", count: self.width * self.height)
        styles = Array(repeating: .plain, count: self.width * self.height)
    }

    /// Writes `text` at (x, y), cut at `maxWidth` columns (and at the edge); returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width - max(0, x), maxWidth ?? Int.max)
        var col = x
        var used = 0
        for ch in text where used < limit {
            let c: Character = ch.isNewline || ch == "\t" ? " " : ch
            if col >= 0 {
                chars[y * width + col] = c
                styles[y * width + col] = style
            }
            col += 1
            used += 1
        }
        return used
    }

    /// Paints `style` over a run of cells (a selection bar, a header line).
    public mutating func fill(y: Int, x: Int = 0, width w: Int? = nil, style: Style) {
        guard y >= 0, y < height else { return }
        for col in max(0, x)..<min(width, x + (w ?? width)) {
            styles[y * width + col] = style
        }
    }

    public func char(x: Int, y: Int) -> Character { chars[y * width + x] }
    public func style(x: Int, y: Int) -> Style { styles[y * width + x] }

    /// The buffer as plain text, trailing spaces cut (`--once` and the golden files).
    public var text: String {
        (0..<height).map { y in
            var line = String(chars[(y * width)..<((y + 1) * width)])
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}

/// Turns a new screen into the ANSI bytes that change the old one into it: only changed cells
/// are written, style codes only when the style changes, so a live update does not flicker.
public struct Renderer: Sendable {
    public let color: Bool
    public init(color: Bool) { self.color = color }

    public func diff(from old: ScreenBuffer?, to new: ScreenBuffer) -> String {
        var out = ""
        let full = old == nil || old!.width != new.width || old!.height != new.height
        if full { out += "\u{1B}[0m\u{1B}[2J" }
        var current: Style?
        for y in 0..<new.height {
            var x = 0
            while x < new.width {
                let i = y * new.width + x
                if !full, old!.chars[i] == new.chars[i], old!.styles[i] == new.styles[i] {
                    x += 1
                    continue
                }
                out += "\u{1B}[\(y + 1);\(x + 1)H"
                while x < new.width {
                    let j = y * new.width + x
                    if !full, old!.chars[j] == new.chars[j], old!.styles[j] == new.styles[j] { break }
                    if current != new.styles[j] {
                        out += new.styles[j].sgr(color: color)
                        current = new.styles[j]
                    }
                    out.append(new.chars[j])
                    x += 1
                }
            }
        }
        if current != nil { out += "\u{1B}[0m" }
        return out
    }
}
