#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The controlling terminal in raw mode on the alternate screen; `restore` puts back exactly
/// what was there (also from a signal handler path and at exit), so a crash or Ctrl-C never
/// leaves the shell without echo.
public final class Terminal: @unchecked Sendable {
    // @unchecked: `saved` is written once in `enter`, read in `restore` (idempotent).
    private var saved = termios()
    private var active = false
    nonisolated(unsafe) private static var current: Terminal?

    public init() {}

    public static var isInteractive: Bool { isatty(0) == 1 && isatty(1) == 1 }

    public var size: (width: Int, height: Int) {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0 { return (Int(ws.ws_col), Int(ws.ws_row)) }
        return (80, 24)
    }

    public func enter() {
        guard tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        raw.c_oflag &= ~tcflag_t(OPOST)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        tcsetattr(0, TCSAFLUSH, &raw)
        active = true
        Terminal.current = self
        atexit { Terminal.current?.restore() }
        // Alternate screen, cursor hidden, screen cleared.
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J")
    }

    public func restore() {
        guard active else { return }
        active = false
        write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(0, TCSAFLUSH, &saved)
    }

    public func write(_ text: String) { writeAll(1, Array(text.utf8)) }

    /// Reads stdin on its own thread and hands each batch of bytes to `bytes` until EOF.
    public func readKeys(_ bytes: @escaping @Sendable ([UInt8]) -> Void) {
        let t = Thread {
            var buffer = [UInt8](repeating: 0, count: 1024)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                bytes(Array(buffer[0..<n]))
            }
        }
        t.start()
    }
}

/// Writes every byte to `fd` (retrying short writes and interruptions).
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
        if n < 0 {
            if errno == EINTR || errno == EAGAIN { continue }
            return
        }
        done += n
    }
}
