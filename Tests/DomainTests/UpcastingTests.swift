@testable import Domain
import Foundation
import Testing

@Suite("Upcasting old event versions on read")
struct UpcastingTests {
    /// A hypothetical v0 of TariffSet used `price` in cents and `validFrom`.
    static let v0ToV1 = Upcaster(eventType: "TariffSet", fromVersion: 0) { old in
        var new = old
        if case .number(let cents)? = old["price"] { new["pricePerUnitEUR"] = .number(cents / 100) }
        new["observedAt"] = old["validFrom"]
        new["price"] = nil
        new["validFrom"] = nil
        return new
    }

    @Test func olderVersionIsUpcastToTheCurrentType() throws {
        let old = Data(#"{"kind":"water","validFrom":"2019-01-01","price":135}"#.utf8)
        let e = try Catalog.decode(type: "TariffSet", schemaVersion: 0, payload: old, upcasters: [Self.v0ToV1])
        let t = try #require(e as? TariffSet)
        #expect(t.pricePerUnitEUR == 1.35)
        #expect(t.observedAt == "2019-01-01")
    }

    @Test func missingUpcasterOrNewerVersionIsAnError() throws {
        let old = Data(#"{"kind":"water","validFrom":"2019-01-01","price":135}"#.utf8)
        #expect(throws: UpcastError.self) { _ = try Catalog.decode(type: "TariffSet", schemaVersion: 0, payload: old, upcasters: []) }
        #expect(throws: UpcastError.self) { _ = try Catalog.decode(type: "TariffSet", schemaVersion: 9, payload: old) }
        #expect(throws: UpcastError.self) { _ = try Catalog.decode(type: "Nonsense", schemaVersion: 1, payload: old) }
    }

    @Test func currentVersionDecodesDirectly() throws {
        let e = try Catalog.decode(type: "TariffSet", schemaVersion: 1, payload: try Fixtures.example("TariffSet.v1"))
        #expect((e as? TariffSet)?.pricePerUnitEUR == 1.35)
    }
}
