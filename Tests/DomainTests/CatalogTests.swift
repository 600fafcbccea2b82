@testable import Domain
import Foundation
import Testing

@Suite("Event catalogue (events/)")
struct CatalogTests {
    static let names = Catalog.entries.map(\.versionedName)

    @Test func typesAndKindsAreUnique() {
        #expect(Set(Catalog.entries.map(\.versionedName)).count == Catalog.entries.count)
        #expect(Set(Catalog.entries.map(\.kind)).count == Catalog.entries.count)
    }

    @Test(arguments: names)
    func publishedSchemaIsWhatTheSwiftTypeGenerates(_ name: String) throws {
        let entry = try #require(Catalog.entries.first { $0.versionedName == name })
        let published = try Fixtures.schemaText(name)
        #expect(published == (try Catalog.jsonSchemaText(entry)), "run `presidio catalog write` after changing \(name)")
    }

    @Test(arguments: names)
    func exampleValidatesDecodesAndRoundTrips(_ name: String) throws {
        let entry = try #require(Catalog.entries.first { $0.versionedName == name })
        let data = try Fixtures.example(name)
        let object = try JSONSerialization.jsonObject(with: data)
        // 1. Against the published JSON Schema file (independent checker).
        let schema = try JSONSerialization.jsonObject(with: Data(try Fixtures.schemaText(name).utf8)) as! [String: Any]
        #expect(MiniSchemaValidator.errors(object, schema: schema).isEmpty, "\(MiniSchemaValidator.errors(object, schema: schema))")
        // 2. Against the Swift declaration.
        var problems: [Problem] = []
        FieldType.object(entry.type.fields).validate(object, at: "", into: &problems)
        #expect(problems.isEmpty, "\(problems)")
        // 3. Decodes, and encode → decode gives the same value and the same bytes.
        let decoded = try JSONDecoder().decode(entry.type, from: data)
        let encoded = try decoded.payload()
        let again = try JSONDecoder().decode(entry.type, from: encoded)
        #expect(try again.payload() == encoded)
        #expect(Self.sameValue(decoded, again))
        // 4. The canonical encoding carries the same JSON value as the example.
        let reparsed = try JSONSerialization.jsonObject(with: encoded)
        #expect(Self.jsonEqual(reparsed, object))
    }

    /// Deep JSON equality, numbers compared as numbers (28 == 28.0).
    static func jsonEqual(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (let x as [String: Any], let y as [String: Any]):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { jsonEqual(v, $0) } ?? false }
        case (let x as [Any], let y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
        case (let x as String, let y as String):
            return x == y
        case (is NSNull, is NSNull):
            return true
        default:
            let bx = MiniSchemaValidator.isBool(a)
            let by = MiniSchemaValidator.isBool(b)
            if bx || by { return bx == by && (a as? NSNumber)?.boolValue == (b as? NSNumber)?.boolValue }
            guard let x = MiniSchemaValidator.number(a), let y = MiniSchemaValidator.number(b) else { return false }
            return x == y
        }
    }

    /// Equatable across an existential: open `a` and compare with `b` as the same type.
    static func sameValue(_ a: any DomainEvent, _ b: any DomainEvent) -> Bool {
        func open<T: DomainEvent>(_ x: T) -> Bool { (b as? T) == x }
        return open(a)
    }

    @Test func everyTypeIsInTheReadme() throws {
        let readme = try String(contentsOf: Fixtures.events.appendingPathComponent("README.md"), encoding: .utf8)
        for e in Catalog.entries {
            #expect(readme.contains("`\(e.eventType)`"), "events/README.md does not list \(e.eventType)")
            #expect(readme.contains("`\(e.kind)`"))
        }
    }
}

@Suite("Canonical payloads")
struct CanonicalPayloadTests {
    /// The hand-written readings encoder must give the bytes JSONEncoder would.
    @Test func readingsPayloadEqualsJSONEncoderOutput() throws {
        var r = SeededRandom(seed: 7)
        for n in 0..<200 {
            let readings: [Double?] = (0..<96).map { i in r.chance(0.05) ? nil : (Double(i) * r.range(0...3) * 1000).rounded() / 1000 + Double(n) }
            let e = MeterReadingsRecorded(
                meterId: "SC0001-W1", observedAt: "2025-01-01T00:00:00Z", intervalMinutes: 15, readings: readings,
                resets: n % 3 == 0 ? [.init(index: 5, kind: .rollover)] : nil)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let mine = try e.payload()
            let theirs = try enc.encode(e)
            #expect(mine == theirs, "\(String(decoding: mine, as: UTF8.self).prefix(300)) vs \(String(decoding: theirs, as: UTF8.self).prefix(300))")
        }
    }
}
