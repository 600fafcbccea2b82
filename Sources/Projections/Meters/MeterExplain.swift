import Domain

extension MeterProjection {
    /// What a reader of the asset view needs of a meter's state: where its data stands and
    /// which detectors are not at rest (the full state follows in `meter`).
    public static func explain(_ m: Meter) -> [String] {
        var out = ["last reading \(m.lastValue.map { "\($0) \(m.kind.unit)" } ?? "none") at \(m.lastAt ?? "-"); \(m.days) local days judged"]
        if m.open.isOpen {
            out.append("\(LocalClock.dayString(m.open.day)) open: \(m.open.filled) of \(m.open.deltas.count) slots read")
        }
        if m.missingRun > 0 { out.append("\(m.missingRun) readings missing in a row") }
        let phases: [(String, DetectorPhase)] = [
            ("gap", m.gap), ("stuck", m.stuck), ("leak", m.leak), ("heating out of season", m.heating), ("out of hours", m.outOfHours),
            ("drift", m.drift), ("silent", m.silent),
        ]
        for (name, phase) in phases where !phase.isInactive { out.append("\(name): \(phase)") }
        return out
    }
}
