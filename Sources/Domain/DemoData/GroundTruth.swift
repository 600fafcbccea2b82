/// One injected anomaly, as the detectors should find it. Written as NDJSON beside the data set.
public struct GroundTruth: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case waterLeak, stuckMeter, counterRegression, rollover, gap, spike, heatingOutOfSeason, drift, outOfHours
        case dangerousDefect, nonCompliance, fire
    }

    public var kind: Kind
    /// The asset's stream, e.g. `meter-SC0001-W1`.
    public var stream: String
    /// First affected instant (RFC 3339) or day.
    public var from: String
    /// Last affected instant or day (inclusive); nil for a point anomaly.
    public var to: String?
    /// Extra facts for scoring (checklist items, magnitude …).
    public var detail: String?
}
