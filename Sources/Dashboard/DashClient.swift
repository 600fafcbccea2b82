import Foundation
import Projections
import Server
import Synchronization

/// The dashboard's reads and actions over the API: each answer becomes a `Msg`.
public final class DashClient: Sendable {
    private let current: Mutex<PresidioClient>
    /// Finds the server again (a restarted local server has a new URL and token); nil: keep.
    private let locate: @Sendable () -> PresidioClient?

    /// Requests give up after this long: a board shows a dead server within seconds.
    static let timeoutSeconds: Int64 = 10

    public init(api: PresidioClient, locate: @escaping @Sendable () -> PresidioClient? = { nil }) {
        var api = api
        api.timeoutSeconds = Self.timeoutSeconds
        current = Mutex(api)
        self.locate = {
            var fresh = locate()
            fresh?.timeoutSeconds = Self.timeoutSeconds
            return fresh
        }
    }

    public var api: PresidioClient { current.withLock { $0 } }

    /// After a lost connection or a refused token: the server as it is now.
    func relocate() {
        if let fresh = locate() { current.withLock { $0 = fresh } }
    }

    func json(_ path: String, _ query: [(String, String)] = []) async throws -> [String: Any] {
        let data = try await api.get(path, query: query)
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PresidioClient.Failure(description: "\(path): the answer is not a JSON object")
        }
        return obj
    }

    /// Every alert, page by page (firing, acknowledged and resolved: the header counts them all).
    public func alerts() async throws -> [AlertRow] { try await api.allPages("/v1/alerts", of: AlertRow.self) }

    public func safety() async throws -> [SafetyRow] {
        struct Q: Decodable { var entries: [SafetyRow] }
        return try JSONDecoder().decode(Q.self, from: try await api.get("/v1/queues/safety", query: [("limit", "5000")])).entries
    }

    public func inspection() async throws -> [InspectionRow] {
        struct Q: Decodable { var entries: [InspectionRow] }
        return try JSONDecoder().decode(Q.self, from: try await api.get("/v1/queues/inspection", query: [("limit", "5000")])).entries
    }

    /// Bridges, waste sites and buildings (the buildings give meters their municipality).
    public func points() async throws -> [MapPoint] {
        var out: [MapPoint] = []
        for layer in ["bridges", "wastesites", "buildings"] {
            let obj = try await json("/v1/export/geojson", [("layer", layer)])
            for f in obj["features"] as? [[String: Any]] ?? [] {
                guard let id = f["id"] as? String, let c = (f["geometry"] as? [String: Any])?["coordinates"] as? [NSNumber], c.count >= 2 else {
                    continue
                }
                let p = f["properties"] as? [String: Any] ?? [:]
                let label = (p["classOfAttention"] as? String) ?? (p["state"] as? String) ?? "normal"
                out.append(
                    MapPoint(
                        id: id, lon: c[0].doubleValue, lat: c[1].doubleValue, municipality: p["municipality"] as? String ?? "?", label: label,
                        firingAlerts: (p["firingAlerts"] as? NSNumber)?.intValue ?? 0))
            }
        }
        return out
    }

    public func asset(_ id: String) async throws -> AssetDetail {
        let path = "/v1/assets/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)
        let a = try await json(path)
        var events: [[String: Any]] = []
        var from = 0
        while true {
            let page = try await json(path + "/events", [("from", String(from)), ("limit", "1000")])
            let got = page["events"] as? [[String: Any]] ?? []
            events += got
            guard got.count == 1000, let last = (got.last?["version"] as? NSNumber)?.intValue else { break }
            from = last + 1
        }
        return AssetDetail.from(asset: a, events: events)
    }

    /// POST /v1/alerts/{id}/{action} with the note; the answer's one-line summary.
    public func act(_ action: String, alertId: String, note: String) async throws -> String {
        let field = action == "acknowledge" ? "note" : "reason"
        let body = try JSONSerialization.data(withJSONObject: [field: note])
        let path = "/v1/alerts/" + (alertId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? alertId) + "/" + action
        let r = try await api.send("POST", path, body: body)
        guard r.ok else { throw PresidioClient.failure(r) }
        let obj = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]
        let position = (obj?["positions"] as? [NSNumber])?.first.map { " at position \($0)" } ?? ""
        let done = ["acknowledge": "acknowledged", "resolve": "resolved", "reopen": "reopened"][action] ?? action
        return "\(done) \(alertId)\(position)"
    }

    public func head() async throws -> UInt64 {
        let obj = try await json("/v1/alerts", [("limit", "1")])
        return (obj["position"] as? NSNumber)?.uint64Value ?? 0
    }

    /// Runs one effect and returns the messages it produced.
    public func perform(_ effect: Effect) async -> [Msg] {
        do {
            switch effect {
            case .loadAlerts: return [.alerts(try await alerts()), .connection(up: true, "live")]
            case .loadSafety: return [.safety(try await safety())]
            case .loadInspection: return [.inspection(try await inspection())]
            case .loadMap: return [.points(try await points())]
            case .loadAsset(let id): return [.asset(try await asset(id))]
            case .act(let action, let id, let note): return [.acted(try await act(action, alertId: id, note: note))]
            case .quit: return []
            }
        } catch let f as PresidioClient.Failure {
            if f.status == nil || f.status == 401 { relocate() }
            return f.status == nil ? [.connection(up: false, "disconnected: retrying"), .failed(f.description)] : [.failed(f.description)]
        } catch {
            return [.failed("\(error)")]
        }
    }
}
