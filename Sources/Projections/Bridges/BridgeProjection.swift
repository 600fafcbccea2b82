import Domain
import EventLog
import Foundation

/// Bridges (MetroponTE): defect level per inspection, the Class of Attention with the Alto→Alta
/// override, the required next step with its due date, closures and limits, dangerous-defect
/// alerts and the safety-assessment queue.
public struct BridgeProjection: Projection {
    public let name = "bridges"
    public let codeVersion = 2  // 2: poison events parked (ParkedEvents), alert texts fitted
    public let rules: BridgeRules
    public var ruleSet: RuleSetInfo { rules.info }
    public let categories: Set<String> = ["bridge"]

    public init(rules: BridgeRules) { self.rules = rules }

    public struct State: Codable, Sendable, Equatable, AlertHolding {
        public var bridges: [String: Bridge] = [:]
        public var alerts: [String: AlertRecord] = [:]
        public var parked = ParkedEvents()
    }

    public struct Bridge: Codable, Sendable, Equatable {
        public var census: BridgeCensused
        public var lastInspection: String?
        public var attention: AttentionClass?
        /// Date of the finding that requires an assessment, and what it requires.
        public var findingOn: String?
        public var immediate = false
        public var lastL3: String?
        public var lastL4: String?
        public var l4Outcome: AssessmentOutcome?
        public var specialInspection: SpecialInspectionOutcome?
        public var specialInspectionOn: String?
        public var traffic: TrafficMeasure?
        public var loadLimitTonnes: Double?
        public var dangerAlert: String?
        public var hydraulicForm: HydraulicFormRecorded?
        public var landslideForm: LandslideFormRecorded?
    }

    public func initialState() -> State { State() }

    public func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        switch decoded {
        case let c as BridgeCensused:
            var b = Bridge(census: c)
            b.attention = try rules.attentionClass(census: c, defectLevel: 5)
            s.bridges[c.bridgeId] = b
            // Missing input is "not classifiable" and a data gap, never a silent favourable default.
            for (risk, flag) in [("hydraulic", c.hydraulicRisk), ("landslide", c.landslideRisk)] where flag == .toVerify {
                s.raise(
                    "\(event.stream).dataGap.\(risk).\(event.position)", rule: "bridge.dataGap", asset: event.stream, severity: .info,
                    evidence: "\(risk) risk 'to verify' in the census: the \(risk) CdA cannot be classified until the L1 form is filed",
                    ruleSet: ruleSet, advisory: false, on: c.observedAt, position: event.position)
            }
        case let a as BridgeCensusAmended:
            guard var b = s.bridges[a.bridgeId] else { throw CannotApply.unknown("bridge", a.bridgeId, "census") }
            b.census = AssetFacts.amend(b.census, with: a.changes)
            b.attention = try rules.attentionClass(
                census: b.census, defectLevel: b.attention?.defectLevel ?? 5, hydraulicForm: b.hydraulicForm, landslideForm: b.landslideForm)
            s.bridges[a.bridgeId] = b
        case let i as BridgeInspected:
            guard var b = s.bridges[i.bridgeId] else { throw CannotApply.unknown("bridge", i.bridgeId, "census") }
            let dl = rules.defectLevel(i.defects)
            b.lastInspection = i.observedAt
            b.attention = try rules.attentionClass(census: b.census, defectLevel: dl, hydraulicForm: b.hydraulicForm, landslideForm: b.landslideForm)
            let dangerous = i.defects.filter(rules.dangerousDefect.matches)
            let psSevere = i.defects.contains { $0.status == .present && $0.ps && ($0.g ?? 0) >= 4 }
            if (b.attention?.overall ?? 5) <= 3 || psSevere {
                if b.findingOn == nil { b.findingOn = i.observedAt }
                b.immediate = b.immediate || psSevere || dl == 1
            }
            if let d = dangerous.first, b.dangerAlert == nil {
                let id = "\(event.stream).dangerousDefect.\(event.position)"
                s.raise(
                    id, rule: "bridge.dangerousDefect", asset: event.stream, severity: .critical,
                    evidence:
                        "inspection of \(i.observedAt): \(d.element.rawValue) span \(d.span) \(d.code) G\(d.g ?? 0) k1 \(d.k1 ?? 0) k2 \(d.k2 ?? 0) PS; Level 4 required",
                    ruleSet: ruleSet, advisory: rules.advisory.contains("defectLevel"), on: i.observedAt, position: event.position)
                b.dangerAlert = id
            }
            s.bridges[i.bridgeId] = b
        case let h as HydraulicFormRecorded:
            guard var b = s.bridges[h.bridgeId] else { throw CannotApply.unknown("bridge", h.bridgeId, "census") }
            b.hydraulicForm = h
            b.attention = try rules.attentionClass(
                census: b.census, defectLevel: b.attention?.defectLevel ?? 5, hydraulicForm: h, landslideForm: b.landslideForm)
            resolveDataGap(&s, stream: event.stream, risk: "hydraulic", on: h.observedAt, position: event.position)
            s.bridges[h.bridgeId] = b
        case let l as LandslideFormRecorded:
            guard var b = s.bridges[l.bridgeId] else { throw CannotApply.unknown("bridge", l.bridgeId, "census") }
            b.landslideForm = l
            b.attention = try rules.attentionClass(
                census: b.census, defectLevel: b.attention?.defectLevel ?? 5, hydraulicForm: b.hydraulicForm, landslideForm: l)
            resolveDataGap(&s, stream: event.stream, risk: "landslide", on: l.observedAt, position: event.position)
            s.bridges[l.bridgeId] = b
        case let x as SpecialInspectionConcluded:
            guard s.bridges[x.bridgeId] != nil else { throw CannotApply.unknown("bridge", x.bridgeId, "census") }
            s.bridges[x.bridgeId]?.specialInspection = x.outcome
            s.bridges[x.bridgeId]?.specialInspectionOn = x.observedAt
            if x.outcome != .defectsModest, s.bridges[x.bridgeId]?.findingOn == nil { s.bridges[x.bridgeId]?.findingOn = x.observedAt }
        case let a as AssessmentConcluded:
            guard var b = s.bridges[a.bridgeId] else { throw CannotApply.unknown("bridge", a.bridgeId, "census") }
            if a.level == 3 {
                b.lastL3 = a.observedAt
                if a.outcome == .level4NotRequired { b.findingOn = nil; b.immediate = false }
            } else {
                b.lastL4 = a.observedAt
                b.l4Outcome = a.outcome
                b.findingOn = nil
                b.immediate = false
                if let id = b.dangerAlert {
                    s.resolve(id, reason: "Level 4 concluded on \(a.observedAt): \(a.outcome.rawValue)", on: a.observedAt, position: event.position)
                    b.dangerAlert = nil
                }
            }
            s.bridges[a.bridgeId] = b
        case let t as TrafficMeasureChanged:
            guard var b = s.bridges[t.bridgeId] else { throw CannotApply.unknown("bridge", t.bridgeId, "census") }
            b.traffic = t.measure == .reopening ? nil : t.measure
            if t.measure == .loadLimit { b.loadLimitTonnes = t.loadLimitTonnes }
            if t.measure == .reopening { b.loadLimitTonnes = nil }
            s.bridges[t.bridgeId] = b
        case let iv as InterventionCompleted:
            guard var b = s.bridges[iv.bridgeId] else { throw CannotApply.unknown("bridge", iv.bridgeId, "census") }
            if [.repair, .strengthening, .replacement].contains(iv.kind), let id = b.dangerAlert {
                s.resolve(id, reason: "\(iv.kind.rawValue) completed on \(iv.observedAt)", on: iv.observedAt, position: event.position)
                b.dangerAlert = nil
            }
            s.bridges[iv.bridgeId] = b
        default: break
        }
    }

    func resolveDataGap(_ s: inout State, stream: String, risk: String, on day: String, position: UInt64) {
        for a in s.alerts.values where a.rule == "bridge.dataGap" && a.asset == stream && a.id.contains(".dataGap.\(risk).") && a.state == .firing {
            s.resolve(a.id, reason: "L1 form for the \(risk) risk recorded on \(day)", on: day, position: position)
        }
    }

    /// What the bridge needs next, with its due date.
    public func nextStep(_ b: Bridge) -> (step: String, due: String?) {
        let special = b.census.postTensioned && b.specialInspection == nil
        if let f = b.findingOn, let d = DomainTime.date(f) {
            let needsL4 =
                b.immediate || b.attention?.overall == 1 || b.specialInspection == .defectsRequireLevel4
                || b.specialInspection == .testsInconclusiveLevel4
            let days = b.immediate ? rules.assessmentDueDays.immediate : needsL4 ? rules.assessmentDueDays.level4 : rules.assessmentDueDays.level3
            let due = DomainTime.dayString(d.addingTimeInterval(Double(days) * 86400))
            return (needsL4 ? (b.immediate ? "Level 4 (immediate)" : "Level 4") : "Level 3", due)
        }
        if special { return ("special inspection (Annex D)", nil) }
        let cls = b.attention?.overall ?? 5
        if let last = b.lastInspection.flatMap(DomainTime.date) {
            let months = rules.inspectionFrequencyMonths[max(1, min(rules.inspectionFrequencyMonths.count, cls)) - 1]
            return ("periodic inspection", DomainTime.dayString(last.addingTimeInterval(Double(months) * 30.44 * 86400)))
        }
        return ("first inspection", nil)
    }
}

/// A bridge whose periodic inspection is past due.
public struct OverdueInspection: Codable, Sendable, Equatable {
    public var bridgeId: String
    public var name: String
    public var overall: String?
    public var lastInspection: String?
    public var due: String?
    public var daysOverdue: Int
}

extension BridgeProjection {
    /// Bridges past their inspection frequency (per class, from the rule set) on `today`.
    public func overdueInspections(_ state: State, today: Date) -> [OverdueInspection] {
        state.bridges.values.compactMap { b -> OverdueInspection? in
            let cls = b.attention?.overall ?? 5
            let months = rules.inspectionFrequencyMonths[max(1, min(rules.inspectionFrequencyMonths.count, cls)) - 1]
            let last = b.lastInspection.flatMap(DomainTime.date) ?? DomainTime.date(b.census.observedAt)
            guard let last else { return nil }
            let due = last.addingTimeInterval(Double(months) * 30.44 * 86400)
            guard due < today else { return nil }
            return OverdueInspection(
                bridgeId: b.census.bridgeId, name: b.census.name, overall: b.attention?.overall.map { rules.name($0) },
                lastInspection: b.lastInspection,
                due: DomainTime.dayString(due), daysOverdue: Int(today.timeIntervalSince(due) / 86400))
        }.sorted { $0.daysOverdue != $1.daysOverdue ? $0.daysOverdue > $1.daysOverdue : $0.bridgeId < $1.bridgeId }
    }
}

/// One place in the safety-assessment queue.
public struct SafetyQueueEntry: Codable, Sendable, Equatable {
    public var rank: Int
    public var bridgeId: String
    public var name: String
    public var municipality: String
    public var overall: String
    public var defectLevel: String
    public var step: String
    public var due: String?
    public var overdue: Bool
    public var reasons: [String]
    public var advisory: Bool
    public var ruleSet: String
}

extension BridgeProjection {
    /// Bridges that need a Level 3/4 assessment: override/PS cases first, then overall class,
    /// defect level, exposure, traffic, and the age of the finding.
    public func safetyQueue(_ state: State, today: Date) -> [SafetyQueueEntry] {
        var rows: [(key: [Double], entry: SafetyQueueEntry)] = []
        for b in state.bridges.values {
            guard let a = b.attention, let f = b.findingOn, let overall = a.overall else { continue }
            let (step, due) = nextStep(b)
            let age = max(0, today.timeIntervalSince(DomainTime.date(f) ?? today) / 86400)
            var reasons: [String] = []
            if b.immediate {
                reasons.append(a.override ? "defect level Alto → overall Alta (override)" : "defect G4–5 with PS: static safety at risk")
            }
            reasons.append(
                "overall CdA \(rules.name(overall)); defect level \(rules.name(a.defectLevel)); exposure \(rules.name(a.exposure)); AADT \(b.census.aadt)"
            )
            reasons.append(String(format: "finding of %@ (%.0f days ago)", f, age))
            if let t = b.traffic { reasons.append("traffic measure in force: \(t.rawValue)\(b.loadLimitTonnes.map { " \($0) t" } ?? "")") }
            let overdue = due.flatMap(DomainTime.date).map { $0 < today } ?? false
            if overdue, let due { reasons.append("assessment due \(due): overdue") }
            rows.append(
                (
                    [b.immediate ? 0 : 1, Double(overall), Double(a.defectLevel), Double(a.exposure), -Double(b.census.aadt), -age],
                    SafetyQueueEntry(
                        rank: 0, bridgeId: b.census.bridgeId, name: b.census.name, municipality: b.census.municipality, overall: rules.name(overall),
                        defectLevel: rules.name(a.defectLevel), step: step, due: due, overdue: overdue, reasons: reasons,
                        advisory: !rules.advisory.isEmpty,
                        ruleSet: ruleSet.label)
                ))
        }
        rows.sort { x, y in x.key != y.key ? x.key.lexicographicallyPrecedes(y.key) : x.entry.bridgeId < y.entry.bridgeId }
        return rows.enumerated().map { i, r in
            var e = r.entry
            e.rank = i + 1
            return e
        }
    }
}
