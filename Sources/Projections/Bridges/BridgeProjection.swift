import Domain
import EventLog
import Foundation

/// Bridges (MetroponTE): defect level per inspection, the Class of Attention with the Alto→Alta
/// override, the required next step with its due date, closures and limits, dangerous-defect
/// alerts and the safety-assessment queue.
public struct BridgeProjection: Projection {
    public let name = "bridges"
    /// 3: requirements derived from the facts in observation order (not filing order); several
    /// open at once; L3 "Level 4 required"; alerts for immediate Level 4 and class rises.
    /// 4: no class without an inspection; provisional classes with what is missing named; the
    /// seismic census inputs; coverage gaps schedule a visit; data gaps follow the state.
    public let codeVersion = 4
    public let rules: BridgeRules
    public var ruleSet: RuleSetInfo { rules.info }
    public let categories: Set<String> = ["bridge"]

    public init(rules: BridgeRules) { self.rules = rules }

    public struct State: Codable, Sendable, Equatable, AlertHolding {
        public var bridges: [String: Bridge] = [:]
        public var alerts: [String: AlertRecord] = [:]
        public var parked = ParkedEvents()
    }

    /// What one Level 1 inspection found, as far as requirements go.
    public struct InspectionFact: Codable, Sendable, Equatable {
        public var on: String
        public var position: UInt64
        public var defectLevel: Int
        /// A present G4–5 defect with PS: static safety at risk (immediate Level 4).
        public var psSevere: Bool
        /// What the inspection could not see (access, spans, elevations, NR rows, critical
        /// elements of unknown condition): a knowledge gap that schedules a visit.
        public var gaps: [String] = []
    }

    public struct AssessmentFact: Codable, Sendable, Equatable {
        public var on: String
        public var level: Int
        public var outcome: AssessmentOutcome
    }

    public struct SpecialFact: Codable, Sendable, Equatable {
        public var on: String
        public var outcome: SpecialInspectionOutcome
    }

    /// The bridge's facts, each kept with its observation date: every class and requirement is
    /// derived from them in observation order, so filing order never matters (a form filed after
    /// the inspection counts as one filed before it) and a back-dated fact takes its place.
    public struct Bridge: Codable, Sendable, Equatable {
        public var census: BridgeCensused
        public var inspections: [InspectionFact] = []
        public var hydraulicForms: [HydraulicFormRecorded] = []
        public var landslideForms: [LandslideFormRecorded] = []
        public var assessments: [AssessmentFact] = []
        public var specialInspections: [SpecialFact] = []
        /// The class now: from the newest observed inspection and forms.
        public var attention: AttentionClass?
        public var traffic: TrafficMeasure?
        public var loadLimitTonnes: Double?
        public var dangerAlert: String?
        /// `requirements(self)`, kept after every fact: queues and maps read it for every bridge.
        public var needs: [Requirement] = []
        /// The bridge's firing alerts by condition (`immediateLevel4`, `classRaised`,
        /// `dataGap.<what>`): each fact compares the conditions with them, without a scan.
        public var firing: [String: String] = [:]

        public init(census: BridgeCensused) { self.census = census }

        public var lastInspection: String? { inspections.last?.on }
        public var hydraulicForm: HydraulicFormRecorded? { hydraulicForms.last }
        public var landslideForm: LandslideFormRecorded? { landslideForms.last }
        public var lastL4: String? { assessments.last { $0.level == 4 }?.on }
    }

    /// Something the bridge needs, since when, by when and why.
    public struct Requirement: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, Comparable {
            case immediateLevel4, level4, level3, specialInspection, completeInspection
            public static func < (a: Kind, b: Kind) -> Bool { a.rank < b.rank }
            var rank: Int {
                switch self {
                case .immediateLevel4: 0
                case .level4: 1
                case .level3: 2
                case .specialInspection: 3
                case .completeInspection: 4
                }
            }
            /// An assessment or special inspection: the safety queue's work. Completing an
            /// inspection is the inspectors' (next step and overdue list).
            public var isAssessment: Bool { self != .completeInspection }
        }
        public var kind: Kind
        public var since: String
        public var due: String?
        public var reason: String

        public var step: String {
            switch kind {
            case .immediateLevel4: "Level 4 (immediate)"
            case .level4: "Level 4"
            case .level3: "Level 3"
            case .specialInspection: "special inspection (Annex D)"
            case .completeInspection: "complete the L1 inspection"
            }
        }
    }

    public func initialState() -> State { State() }

    public func apply(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        try applyFact(event, decoded, to: &s)
        let id = String(event.stream.dropFirst("bridge-".count))
        if event.stream.hasPrefix("bridge-"), var b = s.bridges[id] {
            b.needs = try requirements(b)
            // A class rise has been acted on once the assessment it calls for has concluded.
            if let a = b.firing["classRaised"], !b.needs.contains(where: { [.immediateLevel4, .level4, .level3].contains($0.kind) }) {
                s.resolve(a, reason: "the assessment the class calls for has concluded", on: decoded.observedAt, position: event.position)
                b.firing["classRaised"] = nil
            }
            s.bridges[id] = b
            syncDataGaps(&s, bridge: id, on: decoded.observedAt, position: event.position)
        }
    }

    func applyFact(_ event: RecordedEvent, _ decoded: any DomainEvent, to s: inout State) throws {
        switch decoded {
        case let c as BridgeCensused:
            // A census again (a re-census) keeps the facts observed so far.
            var b = s.bridges[c.bridgeId] ?? Bridge(census: c)
            let before = s.bridges[c.bridgeId]?.attention?.overall
            b.census = c
            b.attention = try currentClass(b)
            s.bridges[c.bridgeId] = b
            try alertTransitions(&s, bridge: c.bridgeId, before: before, on: c.observedAt, event: event)
        case let a as BridgeCensusAmended:
            guard var b = s.bridges[a.bridgeId] else { throw CannotApply.unknown("bridge", a.bridgeId, "census") }
            let before = b.attention?.overall
            b.census = AssetFacts.amend(b.census, with: a.changes)
            b.attention = try currentClass(b)
            s.bridges[a.bridgeId] = b
            try alertTransitions(&s, bridge: a.bridgeId, before: before, on: a.observedAt, event: event)
        case let i as BridgeInspected:
            guard var b = s.bridges[i.bridgeId] else { throw CannotApply.unknown("bridge", i.bridgeId, "census") }
            let before = b.attention?.overall
            let fact = InspectionFact(
                on: i.observedAt, position: event.position, defectLevel: rules.defectLevel(i.defects, critical: i.criticalElements),
                psSevere: i.defects.contains { rules.counts($0) && $0.status == .present && $0.ps && ($0.g ?? 0) >= 4 },
                gaps: rules.coverageGaps(i, spans: b.census.spans))
            b.inspections.insert(fact, at: b.inspections.firstIndex { ($0.on, $0.position) > (fact.on, fact.position) } ?? b.inspections.count)
            b.attention = try currentClass(b)
            let dangerous = i.defects.filter { rules.counts($0) && rules.dangerousDefect.matches($0) }
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
            try alertTransitions(&s, bridge: i.bridgeId, before: before, on: i.observedAt, event: event)
        case let h as HydraulicFormRecorded:
            guard var b = s.bridges[h.bridgeId] else { throw CannotApply.unknown("bridge", h.bridgeId, "census") }
            let before = b.attention?.overall
            b.hydraulicForms.insert(h, at: b.hydraulicForms.firstIndex { $0.observedAt > h.observedAt } ?? b.hydraulicForms.count)
            b.attention = try currentClass(b)
            s.bridges[h.bridgeId] = b
            try alertTransitions(&s, bridge: h.bridgeId, before: before, on: h.observedAt, event: event)
        case let l as LandslideFormRecorded:
            guard var b = s.bridges[l.bridgeId] else { throw CannotApply.unknown("bridge", l.bridgeId, "census") }
            let before = b.attention?.overall
            b.landslideForms.insert(l, at: b.landslideForms.firstIndex { $0.observedAt > l.observedAt } ?? b.landslideForms.count)
            b.attention = try currentClass(b)
            s.bridges[l.bridgeId] = b
            try alertTransitions(&s, bridge: l.bridgeId, before: before, on: l.observedAt, event: event)
        case let x as SpecialInspectionConcluded:
            guard var b = s.bridges[x.bridgeId] else { throw CannotApply.unknown("bridge", x.bridgeId, "census") }
            let before = b.attention?.overall
            let fact = SpecialFact(on: x.observedAt, outcome: x.outcome)
            b.specialInspections.insert(fact, at: b.specialInspections.firstIndex { $0.on > fact.on } ?? b.specialInspections.count)
            s.bridges[x.bridgeId] = b
            try alertTransitions(&s, bridge: x.bridgeId, before: before, on: x.observedAt, event: event)
        case let a as AssessmentConcluded:
            guard var b = s.bridges[a.bridgeId] else { throw CannotApply.unknown("bridge", a.bridgeId, "census") }
            let before = b.attention?.overall
            let fact = AssessmentFact(on: a.observedAt, level: a.level, outcome: a.outcome)
            b.assessments.insert(fact, at: b.assessments.firstIndex { $0.on > fact.on } ?? b.assessments.count)
            if a.level == 4, let id = b.dangerAlert {
                s.resolve(id, reason: "Level 4 concluded on \(a.observedAt): \(a.outcome.rawValue)", on: a.observedAt, position: event.position)
                b.dangerAlert = nil
            }
            s.bridges[a.bridgeId] = b
            try alertTransitions(&s, bridge: a.bridgeId, before: before, on: a.observedAt, event: event)
        case let t as TrafficMeasureChanged:
            guard var b = s.bridges[t.bridgeId] else { throw CannotApply.unknown("bridge", t.bridgeId, "census") }
            b.traffic = t.measure == .reopening ? nil : t.measure
            if t.measure == .loadLimit { b.loadLimitTonnes = t.loadLimitTonnes }
            if t.measure == .reopening { b.loadLimitTonnes = nil }
            s.bridges[t.bridgeId] = b
        case let iv as InterventionCompleted:
            // A repair removes the defect found, but not the assessment it requires (the
            // requirements stand until a Level 4 concludes): only the alert on the defect resolves.
            guard var b = s.bridges[iv.bridgeId] else { throw CannotApply.unknown("bridge", iv.bridgeId, "census") }
            if [.repair, .strengthening, .replacement].contains(iv.kind), let id = b.dangerAlert {
                s.resolve(id, reason: "\(iv.kind.rawValue) completed on \(iv.observedAt)", on: iv.observedAt, position: event.position)
                b.dangerAlert = nil
            }
            s.bridges[iv.bridgeId] = b
        default: break
        }
    }

    /// Data-gap alerts follow the bridge's state after every fact: one per missing input (an L1
    /// inspection, form 28 or 29 the census calls for, the seismic census fields, the coverage
    /// the newest inspection lacked), raised while it is missing and resolved when it comes.
    func syncDataGaps(_ s: inout State, bridge id: String, on day: String, position: UInt64) {
        guard var b = s.bridges[id] else { return }
        let stream = "bridge-\(id)"
        var gaps: [String: String] = [:]
        if b.inspections.isEmpty { gaps["inspection"] = "no L1 inspection recorded: the class of attention is not classifiable" }
        let a = b.attention
        for note in a?.notClassifiable ?? [] {
            if note.hasPrefix("hydraulic") { gaps["hydraulic"] = note }
            if note.hasPrefix("landslide") { gaps["landslide"] = note }
            if note.hasPrefix("seismic") { gaps["seismic"] = note }
        }
        if let last = b.inspections.last, !last.gaps.isEmpty {
            gaps["coverage"] = "inspection of \(last.on) could not see: \(last.gaps.joined(separator: "; ")); a visit to complete it is scheduled"
        }
        for (key, alert) in b.firing where key.hasPrefix("dataGap.") && gaps[String(key.dropFirst("dataGap.".count))] == nil {
            s.resolve(alert, reason: "the missing input was recorded as of \(day)", on: day, position: position)
            b.firing[key] = nil
        }
        for (what, evidence) in gaps.sorted(by: { $0.key < $1.key }) where b.firing["dataGap.\(what)"] == nil {
            let alertID = "\(stream).dataGap.\(what).\(position)"
            s.raise(
                alertID, rule: "bridge.dataGap", asset: stream, severity: .info, evidence: evidence, ruleSet: ruleSet, advisory: false,
                on: day, position: position)
            b.firing["dataGap.\(what)"] = AlertText.id(alertID)
        }
        s.bridges[id] = b
    }

    /// The class from the newest observed inspection (none before the first) and forms.
    func currentClass(_ b: Bridge) throws(CannotApply) -> AttentionClass {
        try rules.attentionClass(
            census: b.census, defectLevel: b.inspections.last?.defectLevel, hydraulicForm: b.hydraulicForm, landslideForm: b.landslideForm,
            coverageGaps: b.inspections.last?.gaps ?? [])
    }

    /// The overall class and the immediate-L4 finding as of each date a fact was observed on,
    /// in observation order.
    func timeline(_ b: Bridge) throws(CannotApply) -> [(on: String, overall: Int?, immediate: Bool, defectLevel: Int?)] {
        let dates = Set(b.inspections.map(\.on) + b.hydraulicForms.map(\.observedAt) + b.landslideForms.map(\.observedAt) + [b.census.observedAt])
            .sorted()
        var out: [(on: String, overall: Int?, immediate: Bool, defectLevel: Int?)] = []
        for d in dates {
            let inspection = b.inspections.last { $0.on <= d }
            let dl = inspection?.defectLevel
            let a = try rules.attentionClass(
                census: b.census, defectLevel: dl, hydraulicForm: b.hydraulicForms.last { $0.observedAt <= d },
                landslideForm: b.landslideForms.last { $0.observedAt <= d })
            out.append((d, a.overall, (inspection?.psSevere ?? false) || dl == 1, dl))
        }
        return out
    }

    /// Everything the bridge needs now, most urgent first. A requirement holds from the start of
    /// the newest run of facts that call for it (so a routine inspection finding the same
    /// defects again does not start a new one) until an assessment of that level concludes on
    /// or after that start.
    public func requirements(_ b: Bridge) throws(CannotApply) -> [Requirement] {
        let t = try timeline(b)
        func runStart(_ holds: (Int?, Bool) -> Bool) -> String? {
            var start: String?
            for e in t.reversed() {
                guard holds(e.overall, e.immediate) else { break }
                start = e.on
            }
            return start
        }
        func done(level: Int, since: String) -> Bool { b.assessments.contains { $0.level >= level && $0.on >= since } }
        let days = rules.assessmentDueDays
        var out: [Requirement] = []
        if let r = immediateRequirement(b) { out.append(r) }
        if let since = runStart({ overall, _ in overall == 1 }), !done(level: 4, since: since) {
            out.append(Requirement(kind: .level4, since: since, due: dueDate(since, days: days.level4), reason: "overall CdA Alta since \(since)"))
        }
        for x in b.specialInspections where x.outcome != .defectsModest && !done(level: 4, since: x.on) {
            out.append(
                Requirement(
                    kind: .level4, since: x.on, due: dueDate(x.on, days: days.level4),
                    reason: "special inspection (Annex D) of \(x.on): \(x.outcome.rawValue)"))
        }
        for a in b.assessments where a.level == 3 && a.outcome == .level4Required && !done(level: 4, since: a.on) {
            out.append(Requirement(kind: .level4, since: a.on, due: dueDate(a.on, days: days.level4), reason: "Level 3 of \(a.on): Level 4 required"))
        }
        // A Level 4 covers a Level 3.
        if !out.contains(where: { $0.kind == .level4 || $0.kind == .immediateLevel4 }) {
            if let since = runStart({ overall, _ in (overall ?? 5) <= 3 }), !done(level: 3, since: since) {
                let cls = t.last?.overall.map { rules.name($0) } ?? "?"
                out.append(
                    Requirement(kind: .level3, since: since, due: dueDate(since, days: days.level3), reason: "overall CdA \(cls) since \(since)"))
            }
        }
        if let last = b.inspections.last, !last.gaps.isEmpty, let days = rules.coverageVisitDueDays {
            out.append(
                Requirement(
                    kind: .completeInspection, since: last.on, due: dueDate(last.on, days: days),
                    reason: "the inspection of \(last.on) could not see: \(last.gaps.joined(separator: "; "))"))
        }
        if b.census.postTensioned && b.specialInspections.isEmpty {
            out.append(
                Requirement(
                    kind: .specialInspection, since: b.census.observedAt, due: nil,
                    reason: "post-tensioned deck: an Annex D special inspection is required"))
        }
        return out.sorted { ($0.kind, $0.since) < ($1.kind, $1.since) }
    }

    /// The immediate Level 4 (the Alto override, a G4–5 PS defect) from the newest run of
    /// inspections that found one, unless a Level 4 concluded since. Inspections alone decide
    /// it, so it costs no class computation (every fact applied asks it, for the alerts).
    func immediateRequirement(_ b: Bridge) -> Requirement? {
        var since: InspectionFact?
        for i in b.inspections.reversed() {
            guard i.psSevere || i.defectLevel == 1 else { break }
            since = i
        }
        guard let since, !b.assessments.contains(where: { $0.level == 4 && $0.on >= since.on }) else { return nil }
        return Requirement(
            kind: .immediateLevel4, since: since.on, due: dueDate(since.on, days: rules.assessmentDueDays.immediate),
            reason: since.psSevere
                ? "defect G4–5 with PS on \(since.on): static safety at risk" : "defect level Alto on \(since.on) → overall Alta (override)")
    }

    /// Alerts on transitions a fact caused: an immediate Level 4 appearing (the override, a
    /// G4–5 PS defect), and the overall class rising to Alta or Medio-Alta; each resolves when
    /// its condition ends.
    func alertTransitions(
        _ s: inout State, bridge id: String, before: Int?, on day: String, event: RecordedEvent
    ) throws(CannotApply) {
        guard var b = s.bridges[id] else { return }
        let stream = "bridge-\(id)"
        let immediate = immediateRequirement(b)
        if let immediate, b.firing["immediateLevel4"] == nil {
            let alertID = "\(stream).immediateLevel4.\(event.position)"
            s.raise(
                alertID, rule: "bridge.immediateLevel4", asset: stream, severity: .critical,
                evidence: "\(immediate.reason): Level 4 due \(immediate.due ?? "–")", ruleSet: ruleSet,
                advisory: rules.advisory.contains("defectLevel"), on: day, position: event.position)
            b.firing["immediateLevel4"] = AlertText.id(alertID)
        } else if immediate == nil, let a = b.firing["immediateLevel4"] {
            s.resolve(a, reason: "Level 4 concluded (or the finding no longer holds) as of \(day)", on: day, position: event.position)
            b.firing["immediateLevel4"] = nil
        }
        let overall = b.attention?.overall ?? 5
        // Not classifiable before (a census alone, a data gap) and Alta or Medio-Alta now is a
        // change too: the first inspection that classes a bridge Alta is news. A census alone
        // has no class, so it never raises this.
        if overall <= 2, overall < (before ?? 6) {
            if let a = b.firing["classRaised"] {
                s.resolve(a, reason: "superseded: class now \(rules.name(overall))", on: day, position: event.position)
            }
            let alertID = "\(stream).classRaised.\(event.position)"
            s.raise(
                alertID, rule: "bridge.classRaised", asset: stream, severity: overall == 1 ? .critical : .warning,
                evidence:
                    "overall CdA \(before.map { rules.name($0) } ?? "not classifiable") → \(rules.name(overall))\(b.attention?.provisional == true ? " (provisional)" : "") (\(event.type) of \(day))",
                ruleSet: ruleSet, advisory: rules.advisory.contains("overallRule"), on: day, position: event.position)
            b.firing["classRaised"] = AlertText.id(alertID)
        } else if overall > 2, let a = b.firing["classRaised"] {
            s.resolve(a, reason: "overall CdA now \(rules.name(overall))", on: day, position: event.position)
            b.firing["classRaised"] = nil
        }
        s.bridges[id] = b
    }

    /// `days` after a day, as a day.
    func dueDate(_ since: String, days: Int) -> String? {
        DomainTime.date(since).map { DomainTime.dayString($0.addingTimeInterval(Double(days) * 86400)) }
    }

    /// What the bridge needs next, with its due date.
    public func nextStep(_ b: Bridge) -> (step: String, due: String?) {
        if let r = b.needs.first { return (r.step, r.due) }
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
    /// What is due: a periodic inspection, or the completion of one that could not see everything.
    public var step: String = "periodic inspection"
}

extension BridgeProjection {
    /// Bridges past their inspection frequency (per class, from the rule set) on `today`.
    public func overdueInspections(_ state: State, today: Date) -> [OverdueInspection] {
        state.bridges.values.compactMap { b -> OverdueInspection? in
            let cls = b.attention?.overall ?? 5
            let months = rules.inspectionFrequencyMonths[max(1, min(rules.inspectionFrequencyMonths.count, cls)) - 1]
            let last = b.lastInspection.flatMap(DomainTime.date) ?? DomainTime.date(b.census.observedAt)
            guard let last else { return nil }
            var due = last.addingTimeInterval(Double(months) * 30.44 * 86400)
            var step = "periodic inspection"
            if let visit = b.needs.first(where: { $0.kind == .completeInspection }), let d = visit.due.flatMap(DomainTime.date), d < due {
                due = d
                step = visit.step
            }
            guard due < today else { return nil }
            return OverdueInspection(
                bridgeId: b.census.bridgeId, name: b.census.name, overall: b.attention?.overall.map { rules.name($0) },
                lastInspection: b.lastInspection,
                due: DomainTime.dayString(due), daysOverdue: Int(today.timeIntervalSince(due) / 86400), step: step)
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
    /// The overall class waits for something (named in `missing`): it may still get worse.
    public var provisional: Bool
    public var missing: [String]
    public var defectLevel: String
    public var step: String
    public var due: String?
    public var overdue: Bool
    public var reasons: [String]
    public var advisory: Bool
    public var ruleSet: String
}

extension BridgeProjection {
    /// Bridges that need something (Level 3/4, an Annex D special inspection): immediate cases
    /// first, then assessments before special inspections alone, overall class, defect level,
    /// exposure, traffic, and the age of the requirement. Every open requirement is in `reasons`.
    public func safetyQueue(_ state: State, today: Date) -> [SafetyQueueEntry] {
        var rows: [(key: [Double], entry: SafetyQueueEntry)] = []
        for b in state.bridges.values {
            // An out-of-scope bridge (total span ≤ 6 m) has no class but is queued for what its
            // inspections found (a G4–5 PS defect): it sorts after the classified ones of its tier.
            let needs = b.needs.filter(\.kind.isAssessment)
            guard let a = b.attention, let first = needs.first else { continue }
            let overall = a.overall ?? 6
            let since = needs.filter { $0.kind == first.kind }.map(\.since).min() ?? first.since
            let age = max(0, today.timeIntervalSince(DomainTime.date(since) ?? today) / 86400)
            var reasons = needs.map { "\($0.step): \($0.reason)\($0.due.map { d in ", due \(d)" } ?? "")" }
            let cls =
                a.overall.map { rules.name($0) }
                ?? (a.outOfScope ? "not classifiable (total span ≤ 6 m, outside the Linee Guida)" : "not classifiable")
            reasons.append(
                "overall CdA \(cls)\(a.provisional ? " (provisional: waiting for \(a.missing.joined(separator: ", ")))" : ""); defect level \(a.defectLevel.map { rules.name($0) } ?? "unknown (no inspection)"); exposure \(rules.name(a.exposure)); AADT \(b.census.aadt)"
            )
            if let t = b.traffic { reasons.append("traffic measure in force: \(t.rawValue)\(b.loadLimitTonnes.map { " \($0) t" } ?? "")") }
            let overdue = first.due.flatMap(DomainTime.date).map { $0 < today } ?? false
            if overdue, let due = first.due { reasons.append("\(first.step) due \(due): overdue") }
            let tier: Double = first.kind == .immediateLevel4 ? 0 : first.kind == .specialInspection ? 2 : 1
            rows.append(
                (
                    [tier, Double(overall), Double(a.defectLevel ?? 6), Double(a.exposure), -Double(b.census.aadt), -age],
                    SafetyQueueEntry(
                        rank: 0, bridgeId: b.census.bridgeId, name: b.census.name, municipality: b.census.municipality,
                        overall: a.overall.map { rules.name($0) } ?? "not classifiable", provisional: a.provisional, missing: a.missing,
                        defectLevel: a.defectLevel.map { rules.name($0) } ?? "unknown", step: first.step, due: first.due, overdue: overdue,
                        reasons: reasons, advisory: !rules.advisory.isEmpty, ruleSet: ruleSet.label)
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
