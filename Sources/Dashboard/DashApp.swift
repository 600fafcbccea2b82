#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Server

/// The live dashboard: one loop applies messages (keys, resizes, API answers, feed events) to
/// the state, runs the effects, and redraws only what changed.
public final class DashApp: @unchecked Sendable {
    // @unchecked: the state lives in `run`'s task; the rest is immutable or locked.
    let client: DashClient
    let color: Bool
    /// A file that gets one line per alert the first time it is drawn (id, raised position,
    /// time in µs): how `ops/bench-dash` measures append → screen.
    let trace: FileHandle?

    public init(client: DashClient, color: Bool, tracePath: String? = nil) {
        self.client = client
        self.color = color
        if let tracePath {
            FileManager.default.createFile(atPath: tracePath, contents: nil)
            trace = FileHandle(forWritingAtPath: tracePath)
        } else {
            trace = nil
        }
    }

    public func run() async throws {
        let terminal = Terminal()
        let (messages, inbox) = AsyncStream<Msg>.makeStream(bufferingPolicy: .unbounded)
        terminal.enter()
        defer { terminal.restore() }
        let pending = KeyBuffer()
        terminal.readKeys { bytes in
            for k in pending.keys(bytes) { inbox.yield(.key(k)) }
        }
        signal(SIGWINCH, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        var sources: [any DispatchSourceSignal] = []
        for (sig, msg) in [(SIGWINCH, Msg.key(.ctrlL)), (SIGINT, .key(.ctrlC)), (SIGTERM, .key(.ctrlC)), (SIGHUP, .key(.ctrlC))] {
            let src = DispatchSource.makeSignalSource(signal: sig)
            src.setEventHandler { inbox.yield(msg) }
            src.resume()
            sources.append(src)
        }
        defer { sources.forEach { $0.cancel() } }
        let feed = Task { await self.follow(inbox) }
        defer { feed.cancel() }

        var state = DashState(width: terminal.size.width, height: terminal.size.height)
        let loader = Loader(client: client, inbox: inbox)
        for e in DashState.initialEffects { await loader.run(e) }
        let renderer = Renderer(color: color)
        var screen: ScreenBuffer?
        var seen = Set<String>()
        var tickPending = false
        var undrawn: [AlertRow] = []
        for await msg in messages {
            var m = msg
            if case .key(.ctrlL) = msg {
                let size = terminal.size
                m = .resized(width: size.width, height: size.height)
                screen = nil
            }
            for e in state.update(m) {
                if e == .quit { return }
                await loader.run(e)
            }
            if case .alerts(let rows) = msg, trace != nil {
                for a in rows where seen.insert(a.id).inserted { undrawn.append(a) }
            }
            // Keys draw at once; everything else within 30 ms, once for all that arrived meanwhile
            // (a burst of feed events costs one frame, and an idle board no wake-ups at all).
            var draw = false
            switch msg {
            case .tick:
                tickPending = false
                draw = true
            case .key: draw = true
            default:
                if !tickPending {
                    tickPending = true
                    Task {
                        try? await Task.sleep(for: .milliseconds(30))
                        inbox.yield(.tick)
                    }
                }
            }
            guard draw else { continue }
            let next = DashRender.render(state)
            if next != screen {
                terminal.write(renderer.diff(from: screen, to: next))
                screen = next
            }
            if let trace, !undrawn.isEmpty {
                let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
                trace.write(Data(undrawn.map { "\($0.id)\t\($0.raisedPosition)\t\(now)\n" }.joined().utf8))
                undrawn = []
            }
        }
    }

    /// Follows the alert category of the feed from the head; every alert event reloads the
    /// alerts. A lost connection is shown and retried every 2 s, never a crash.
    func follow(_ inbox: AsyncStream<Msg>.Continuation) async {
        while !Task.isCancelled {
            do {
                let head = try await client.head()
                inbox.yield(.connection(up: true, "live"))
                try await client.api.streamLines("/v1/feed", query: [("category", "alert"), ("from", String(head + 1)), ("follow", "true")]) { line in
                    if !line.isEmpty { inbox.yield(.alertEvent) }
                }
                inbox.yield(.connection(up: false, "feed ended: reconnecting"))
            } catch let f as PresidioClient.Failure {
                inbox.yield(.connection(up: false, f.status == 503 ? "server catching up" : "disconnected: retrying"))
                if f.status == nil || f.status == 401 { client.relocate() }
            } catch {
                inbox.yield(.connection(up: false, "disconnected: retrying"))
            }
            try? await Task.sleep(for: .seconds(2))
            inbox.yield(.alertEvent)
        }
    }
}

/// Runs effects off the loop; a reload asked for while the same one runs is run once more after
/// it (100 alert events a second cost two reloads in flight at most, not 100).
actor Loader {
    let client: DashClient
    let inbox: AsyncStream<Msg>.Continuation
    private var running: Set<String> = []
    private var again: Set<String> = []

    init(client: DashClient, inbox: AsyncStream<Msg>.Continuation) {
        self.client = client
        self.inbox = inbox
    }

    func run(_ effect: Effect) {
        let key = "\(effect)"
        if case .act = effect {
        } else {
            if running.contains(key) {
                again.insert(key)
                return
            }
            running.insert(key)
        }
        Task {
            let messages = await client.perform(effect)
            for m in messages { inbox.yield(m) }
            // A load that failed (server starting, catching up, unreachable) is tried again.
            if case .act = effect {
            } else if messages.contains(where: { if case .failed = $0 { true } else { false } }) {
                try? await Task.sleep(for: .seconds(2))
                await finished(effect, key)
                run(effect)
                return
            }
            await finished(effect, key)
        }
    }

    private func finished(_ effect: Effect, _ key: String) {
        running.remove(key)
        if again.remove(key) != nil { run(effect) }
    }
}

/// Bytes from stdin → keys, keeping an escape sequence split across reads.
final class KeyBuffer: @unchecked Sendable {
    // @unchecked: used by the reader thread only.
    private var rest: [UInt8] = []
    func keys(_ bytes: [UInt8]) -> [Key] {
        let (keys, rest) = Key.parse(self.rest + bytes)
        self.rest = rest
        return keys
    }
}
