@testable import Domain
import Foundation
import Testing

/// Issue 16, meters 8: the fast reader of readings gives exactly what JSONDecoder gives, or
/// steps aside.
@Suite("Meter readings fast decoding")
struct MeterReadingsDecodingTests {
    @Test func theFastReaderAgreesWithJSONDecoder() throws {
        var r = SeededRandom(seed: 7, label: "fast-decode")
        for n in 0..<500 {
            let count = r.int(1...200)
            let readings: [Double?] = (0..<count).map { _ in
                switch r.int(0...5) {
                case 0: nil
                case 1: Double(r.int(0...1_000_000_000))
                case 2: (r.range(0...1e6) * 1000).rounded() / 1000
                case 3: r.range(0...1e-3)
                case 4: r.range(0...1e12)
                default: r.range(0...100)
                }
            }
            let e = MeterReadingsRecorded(
                meterId: "SC0001-W1", observedAt: "2025-02-01T00:0\(n % 10):00Z", intervalMinutes: n % 2 == 0 ? 15 : 60, readings: readings,
                resets: nil)
            let payload = try e.payload()
            let fast = try #require(MeterReadingsRecorded.fastDecode(payload), "\(String(decoding: payload, as: UTF8.self))")
            let slow = try JSONDecoder().decode(MeterReadingsRecorded.self, from: payload)
            #expect(fast.readings == slow.readings && fast.meterId == slow.meterId && fast.observedAt == slow.observedAt)
            #expect(fast.intervalMinutes == slow.intervalMinutes)
        }
    }

    /// Anything off the canonical shape, or out of range, goes to the general path (which then
    /// accepts it the same or names the problem).
    @Test func offShapePayloadsStepAside() throws {
        let head = #"{"intervalMinutes":15,"meterId":"SC0001-W1","observedAt":"2025-02-01T00:00:00Z","readings":["#
        for tail in [
            "01]}", "1.]}", ".5]}", "1e]}", "NaN]}", "Infinity]}", "-1]}", "1e400]}", "1,]}", "]}", "1] }", "1]}x", "+1]}", "0x10]}", "1e13]}",
        ] {
            #expect(MeterReadingsRecorded.fastDecode(Data((head + tail).utf8)) == nil, "\(tail)")
        }
        #expect(MeterReadingsRecorded.fastDecode(Data((head + "1.5e2,null,0,2E-3]}").utf8))?.readings == [150, nil, 0, 0.002])
        // Other key orders, white space, resets and escapes are read by JSONDecoder instead.
        #expect(
            MeterReadingsRecorded.fastDecode(
                Data(#"{"meterId":"SC0001-W1","intervalMinutes":15,"observedAt":"2025-02-01T00:00:00Z","readings":[1]}"#.utf8)) == nil)
        #expect(MeterReadingsRecorded.fastDecode(Data((head + #"1],"resets":[{"index":0,"kind":"rollover"}]}"#).utf8)) == nil)
        #expect(
            MeterReadingsRecorded.fastDecode(
                Data(#"{"intervalMinutes":15,"meterId":"SC0001-W\u0031","observedAt":"2025-02-01T00:00:00Z","readings":[1]}"#.utf8)) == nil)
        // Through the checked decoder: a bad id or timestamp is still refused, by name.
        for (payload, field) in [
            (#"{"intervalMinutes":15,"meterId":"XX0001-W1","observedAt":"2025-02-01T00:00:00Z","readings":[1]}"#, "meterId"),
            (#"{"intervalMinutes":15,"meterId":"SC0001-W1","observedAt":"2025-02-30T00:00:00Z","readings":[1]}"#, "observedAt"),
            (#"{"intervalMinutes":20,"meterId":"SC0001-W1","observedAt":"2025-02-01T00:00:00Z","readings":[1]}"#, "intervalMinutes"),
        ] {
            #expect(throws: UnreadableEvent.self) {
                _ = try Catalog.decodeChecked(type: "MeterReadingsRecorded", schemaVersion: 1, payload: Data(payload.utf8), stream: "meter-SC0001-W1")
            }
            do {
                _ = try Catalog.decodeChecked(type: "MeterReadingsRecorded", schemaVersion: 1, payload: Data(payload.utf8), stream: "meter-SC0001-W1")
            } catch {
                #expect(error.description.contains(field), "\(error)")
            }
        }
        // And on the wrong stream.
        #expect(throws: UnreadableEvent.self) {
            _ = try Catalog.decodeChecked(
                type: "MeterReadingsRecorded", schemaVersion: 1, payload: Data((head + "1]}").utf8), stream: "meter-SC0002-W1")
        }
    }
}
