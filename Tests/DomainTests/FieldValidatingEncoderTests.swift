@testable import Domain
import EventLog
import Foundation
import Testing

/// The read side checks decoded events by walking their Encodable form; it must find exactly
/// what the submission side finds on the JSON, for every kind.
@Suite("Read-side checks agree with submission checks")
struct FieldValidatingEncoderTests {
    nonisolated(unsafe) static let edges: [Any] = [
        0, -1, 6, 4_294_967_296, 1e12 + 1, -0.5, 0.3, 1.5, "", "x", "2024-02-31", "2024-03-12T25:00:00Z", "MI0001\u{2028}", "SC0001-E1 ",
        String(repeating: "n", count: 4500), "e\u{301}", "alto", "rollover",
    ]

    @Test(arguments: Catalog.entries.map(\.versionedName))
    func sameProblemsAsTheJSONValidator(_ name: String) throws {
        let entry = try #require(Catalog.entries.first { $0.versionedName == name })
        let example = try JSONSerialization.jsonObject(with: Fixtures.example(name)) as! [String: Any]
        var compared = 0
        // Every top-level field set to every edge value, and nested ones one level down.
        var variants: [[String: Any]] = []
        for key in example.keys.sorted() {
            for v in Self.edges { var o = example; o[key] = v; variants.append(o) }
            if var inner = example[key] as? [String: Any] {
                for k in inner.keys.sorted() { for v in Self.edges.prefix(8) { inner[k] = v; var o = example; o[key] = inner; variants.append(o) } }
            }
            if let items = example[key] as? [Any], var first = items.first as? [String: Any] {
                for k in first.keys.sorted() {
                    for v in Self.edges.prefix(8) { first[k] = v; var o = example; o[key] = [first] + items.dropFirst(); variants.append(o) }
                }
            }
        }
        for o in variants {
            let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
            guard let decoded = try? JSONDecoder().decode(entry.type, from: data) else { continue }
            var json: [Problem] = []
            FieldType.object(entry.type.fields).validate(try JSONSerialization.jsonObject(with: data), at: "", into: &json)
            let walked = FieldValidatingEncoder.problems(decoded, fields: entry.type.fields)
            #expect(
                Set(walked.map { "\($0.path) \($0.code)" }) == Set(json.map { "\($0.path) \($0.code)" }),
                "\(name): \(String(decoding: data, as: UTF8.self).prefix(300))")
            compared += 1
        }
        #expect(compared > 10)
    }
}
