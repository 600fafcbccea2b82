import Foundation
import Projections

/// `presidio dash --once`: one view as plain text, drawn by the same code as the live board,
/// tall enough for the whole list (or `height` rows), for scripts and tests.
public enum DashOnce {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func render(client: DashClient, view: DashState.View, assetId: String?, width: Int, height: Int?) async throws -> String {
        var s = DashState(width: max(40, width), height: height ?? 24)
        // The alerts always: the header counts them.
        var effects: [Effect] = [.loadMap, .loadAlerts]
        switch view {
        case .alerts, .map: break
        case .queueSafety: effects.append(.loadSafety)
        case .queueInspection: effects.append(.loadInspection)
        case .asset:
            guard let assetId else { throw Failure(description: "--view asset needs the asset's id, e.g. --view asset bridge-MI0001") }
            s.assetId = assetId
            effects.append(.loadAsset(assetId))
        }
        for e in effects {
            for m in await client.perform(e) {
                if case .failed(let why) = m { throw Failure(description: why) }
                _ = s.update(m)
            }
        }
        s.view = view
        s.connected = true
        s.status = "live"
        if height == nil {
            let rows: Int =
                switch view {
                case .alerts: s.visibleAlerts.count
                case .queueSafety: s.visibleSafety.count
                case .queueInspection: s.visibleInspection.count
                case .asset: AssetView.lines(s).count
                case .map: 30
                }
            _ = s.update(.resized(width: s.width, height: max(24, rows + 6)))
        }
        s.message = nil
        return DashRender.render(s).text
    }
}
