import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Projections
import Server

/// A live server over a fresh embedded store seeded with one bridge, one waste site, one
/// building and its water meter (the catalogue's examples), and one token per role.
struct ServerHarness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let directory: String
    let store: SegmentStore
    let tokens: [Role: String]
    let state = InMemoryServerState()
    let registry: TokenRegistry

    static func example(_ name: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent("events/examples/\(name).v1.json"))
    }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString)").path
        store = try SegmentStore(directory: directory)
        let submitter = Submitter(store: store, now: { ISO8601DateFormatter().date(from: "2025-06-01T12:00:00Z")! })
        for (kind, name) in [
            ("bridge-census", "BridgeCensused"), ("wastesite", "WasteSiteRegistered"), ("building", "BuildingRegistered"),
            ("meter-installation", "MeterInstalled"),
        ] {
            _ = try await submitter.submit(kind: kind, json: try Self.example(name), actor: "seed")
        }
        registry = TokenRegistry(state: state)
        var t: [Role: String] = [:]
        for r in Role.creatable { t[r] = try await registry.create(role: r, name: "test \(r.rawValue)").token }
        tokens = t
    }

    func application(role: ServeRole = .all) throws -> Application<RouterResponder<APIContext>> {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let options = PresidioServer.Options(
            location: try StoreLocation(directory), host: "127.0.0.1", port: 0, role: role,
            rulesDirectory: Self.root.appendingPathComponent("projections").path)
        return try PresidioServer(options: options, logger: logger).makeApplication(
            store: store, state: state, snapshots: FileSnapshotStore(directory: directory + "/projections"), tokens: registry)
    }

    func close() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func headers(_ role: Role?, contentType: String? = "application/json", extra: [String: String] = [:]) -> HTTPFields {
        var h = HTTPFields()
        if let role, let t = tokens[role] { h[.authorization] = "Bearer \(t)" }
        if let contentType { h[.contentType] = contentType }
        for (k, v) in extra { h[HTTPField.Name(k)!] = v }
        return h
    }
}

extension TestResponse {
    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]) ?? [:] }
    var text: String { String(buffer: body) }
}

func buffer(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
func buffer(_ d: Data) -> ByteBuffer { ByteBuffer(bytes: Array(d)) }

/// Polls `body` until it returns true or `seconds` pass.
func eventually(_ seconds: Double = 10, _ body: () async throws -> Bool) async throws -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try await body() { return true }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    return false
}

/// A bridge inspection of MI0001 with a G5 defect on a post-tensioned beam (a dangerous defect).
let dangerousInspection = """
    {"bridgeId":"MI0001","observedAt":"2024-03-12","inspector":"ing. Giulia Ferrari","access":"full","spansInspected":1,"bothElevations":true,
     "defects":[{"element":"beam","span":1,"instance":"T1","material":"prestressedConcrete","code":"C.a./c.a.p._3","status":"present","g":5,"k1":1,"k2":1,"ps":true}],
     "criticalElements":[],"notes":"anchorage washed out"}
    """
