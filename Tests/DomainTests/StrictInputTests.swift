@testable import Domain
import EventLog
import Foundation
import Testing

/// One definition of valid input, as the published schemas say: strict RFC 3339, ids matched on
/// the whole string, lengths in code points, and nothing a store or the SQL view cannot hold.
@Suite("Strict input")
struct StrictInputTests {
    @Test(arguments: [
        "2024-02-31T25:00:00Z", "2026-02-30T00:00:00Z", "2024-03-12T09:30:00Zjunk", "2024-03-12T09:30:00Z ", "2024-03-12T09:30:00Z\n",
        " 2024-03-12T09:30:00Z", "2024-03-12T23:59:60Z", "+024-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z",
        "2024-03-12 09:30:00Z", "2024-03-12T09:30:00", "2024-03-12T09:30Z", "2024-03-12T09:30:00+0100", "2024-03-12T09:30:00+24:00",
        "2024-03-12T09:30:00.Z", "2024-03-12T09:30:00.1234567890Z", "２０２４-03-12T09:30:00Z", "2024-3-12T09:30:00Z",
        "2024-03-12T09:30:00+01:60", "2024-03-12T24:00:00Z",
    ])
    func timestampsOutsideRFC3339AreRefused(_ s: String) {
        #expect(DomainTime.dateTime(s) == nil, "accepted \(s.debugDescription)")
    }

    @Test func rfc3339TimestampsGiveTheRightInstant() throws {
        let cases: [(String, Double)] = [
            ("2024-03-12T09:30:00Z", 1_710_235_800), ("2024-03-12t09:30:00z", 1_710_235_800), ("2024-03-12T10:30:00+01:00", 1_710_235_800),
            ("2024-03-12T04:00:00-05:30", 1_710_235_800), ("2024-03-12T09:30:00.25Z", 1_710_235_800.25), ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("1970-01-01T00:00:00Z", 0), ("1800-01-01T00:00:00Z", -5_364_662_400),
        ]
        for (s, t) in cases {
            let d = try #require(DomainTime.dateTime(s), "refused \(s)")
            #expect(abs(d.timeIntervalSince1970 - t) < 1e-6, "\(s)")
        }
        // The same answer as Foundation for every day of a leap and a common year.
        var day = DomainTime.date("2023-01-01")!
        for _ in 0..<731 {
            let text = DomainTime.dayString(day)
            #expect(DomainTime.date(text) == day)
            #expect(DomainTime.dateTime(text + "T12:00:00Z") == day.addingTimeInterval(43_200))
            day = day.addingTimeInterval(86_400)
        }
    }

    @Test(arguments: [
        "2024-02-30", "2023-02-29", "1900-02-29", "0001-01-01", "1799-12-31", "2200-01-01", "+024-01-01", "2024-01-01\n", "2024-1-01", "24-01-01",
    ])
    func impossibleOrImplausibleDatesAreRefused(_ s: String) {
        #expect(DomainTime.date(s) == nil, "accepted \(s.debugDescription)")
    }

    @Test func idsMatchTheWholeStringOnly() {
        for s in ["MI0001\n", "MI0001\u{2028}", "MI0001\u{2029}", "MI0001\r\n", "MI0001\u{85}", "\nMI0001", "MI٠٠٠١", "MI0001 "] {
            var problems: [Problem] = []
            FieldType.string(maxLength: 12, pattern: "MI[0-9]{4}").validate(s, at: "bridgeId", into: &problems)
            #expect(problems.map(\.code) == [.pattern], "\(s.debugDescription)")
            // The message shows the invisible character instead of printing it.
            #expect(!(problems.first?.message.contains("\n") ?? true))
        }
    }

    @Test func lengthsAreCodePointsAsTheSchemasCountThem() {
        // "e" + combining acute: 1 grapheme, 2 code points.
        let decomposed = String(repeating: "e\u{301}", count: 3)
        var problems: [Problem] = []
        FieldType.string(maxLength: 5).validate(decomposed, at: "name", into: &problems)
        #expect(problems.map(\.code) == [.length])
        problems = []
        FieldType.string(maxLength: 6).validate(decomposed, at: "name", into: &problems)
        #expect(problems.isEmpty)
        // A flag is 1 grapheme and 2 code points.
        problems = []
        FieldType.string(maxLength: 1).validate("🇮🇹", at: "name", into: &problems)
        #expect(problems.map(\.code) == [.length])
    }

    @Test func malformedJSONNamesTheByte() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let store = InMemoryEventStore()
        defer { store.close() }
        let submitter = Submitter(store: store, now: { Fixtures.now })
        for (json, fragment) in [
            (#"{"bridgeId":"MI0001",}"#, "byte 21"), (#"{"bridgeId":"MI\u0000"}"#, "NUL"), (#"{"name":"\ud800"}"#, "surrogate"),
            (#"[{"a":1},"#, "unexpected end"),
        ] {
            await #expect(throws: ValidationFailure.self) {
                do {
                    _ = try await submitter.submit(kind: "bridge-census", json: Data(json.utf8), actor: "t")
                } catch let f as ValidationFailure {
                    #expect(f.description.contains(fragment), "\(json): \(f)")
                    throw f
                }
            }
        }
        #expect(try await store.headPosition() == 0)
    }
}
