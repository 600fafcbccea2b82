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

    /// Each path of the number reader (Clinger's fast path, and strtod beyond 15 significant
    /// digits, 22 decimals or with an exponent) gives JSONDecoder's value, bit for bit.
    @Test func everyNumberPathAgreesWithJSONDecoder() throws {
        let head = #"{"intervalMinutes":15,"meterId":"SC0001-W1","observedAt":"2025-02-01T00:00:00Z","readings":["#
        for text in [
            "0", "0.5", "7.25", "0.000", "99999.999", "123456789.012345", "1234567.890123456", "987654321098.7654321", "0.1234567890123456789",
            "0.0000000000000000000000001", "1.5E+3", "12e-2", "450359962737.04975", "0.30000000000000004",
        ] {
            let payload = Data((head + text + "]}").utf8)
            let decoded = MeterReadingsRecorded.fastDecode(payload)
            #expect(decoded != nil, "\(text) was not read by the fast path")
            let fast = try #require(decoded?.readings.first ?? nil)
            let slow = try #require(try JSONDecoder().decode(MeterReadingsRecorded.self, from: payload).readings.first ?? nil)
            #expect(fast.bitPattern == slow.bitPattern, "\(text): \(fast) against \(slow)")
        }
    }

    /// The meter projection stamps readings with a formatter of its own: the same text as
    /// Foundation's ISO 8601 style, over the platform's years.
    @Test func wholeSecondStampsMatchTheISOFormatter() {
        var r = SeededRandom(seed: 11, label: "stamps")
        let from = Int64(DomainTime.dateTime("1800-01-01T00:00:00Z")!.timeIntervalSince1970)
        let to = Int64(DomainTime.dateTime("2199-12-31T23:59:59Z")!.timeIntervalSince1970)
        var seconds: [Int64] = [from, to, 0, -1, 86_399, 86_400, 951_782_400, 4_107_542_400]
        for _ in 0..<2000 { seconds.append(Int64(r.range(Double(from)...Double(to)))) }
        for t in seconds {
            #expect(DomainTime.timestampString(unixSeconds: t) == DomainTime.timestampString(Date(timeIntervalSince1970: Double(t))), "\(t)")
        }
    }
}
