import Foundation

extension BridgeCensused: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        var p = DateRules.new(ctx.facts(stream), path: "bridgeId", noun: "bridge \(bridgeId)")
        p += DateRules.day(observedAt, context: ctx)
        p += MetropolitanArea.check(location, municipality: municipality)
        if spanLengths.count != spans {
            p.append(Problem("spanLengths", .count, "must have one length per span (\(spans) spans, got \(spanLengths.count))"))
        }
        if let kmEnd, kmEnd < kmStart { p.append(Problem("kmEnd", .inconsistent, "must not be before kmStart (\(kmStart); got \(kmEnd))")) }
        if let longest = spanLengths.max(), totalLength + 0.01 < longest {
            p.append(Problem("totalLength", .inconsistent, "must be at least the longest span (\(longest) m; got \(totalLength))"))
        }
        if let observed = DomainTime.date(observedAt), yearBuilt > DomainTime.calendar.component(.year, from: observed) {
            p.append(Problem("yearBuilt", .inconsistent, "must not be after the census date (\(observedAt); got \(yearBuilt))"))
        }
        if let y = lastMajorInterventionYear, y < yearBuilt {
            p.append(Problem("lastMajorInterventionYear", .inconsistent, "must not be before yearBuilt (\(yearBuilt); got \(y))"))
        }
        if detourKm != nil && !alternativeRoute {
            p.append(Problem("detourKm", .inconsistent, "is only meaningful when alternativeRoute is true"))
        }
        return p
    }
}

/// Rules shared by every event about an existing bridge.
private func existingBridge(_ id: String, _ observedAt: String, _ ctx: ValidationContext) -> (AssetFacts, [Problem]) {
    let f = ctx.facts("bridge-\(id)")
    var p = DateRules.exists(f, path: "bridgeId", noun: "bridge")
    p += DateRules.day(observedAt, context: ctx, notBefore: f.createdAt, what: "the bridge's census record")
    return (f, p)
}

extension BridgeCensusAmended: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        let (f, problems) = existingBridge(bridgeId, observedAt, ctx)
        var p = problems
        if changes.isEmpty { p.append(Problem("changes", .count, "must change at least one field")) }
        // `changes` is stored as sent: a null would break the published schema (and mean nothing).
        for (k, v) in changes.sorted(by: { $0.key < $1.key }) where v == .null {
            p.append(Problem("changes.\(k)", .type, "must not be null (leave the field out to keep its value)"))
        }
        if let c = f.bridge {
            let amended = AssetFacts.amend(c, with: changes)
            var check = amended.problems(in: ValidationContext(now: ctx.now))
            check.removeAll { $0.code == .alreadyExists || $0.path == "observedAt" }
            p += check.map { Problem("changes.\($0.path)", $0.code, $0.message) }
        }
        return p
    }
}

extension BridgeInspected: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        let (f, problems) = existingBridge(bridgeId, observedAt, ctx)
        var p = problems
        let spans = f.bridge?.spans
        if let spans, spansInspected > spans {
            p.append(Problem("spansInspected", .range, "must be at most the bridge's \(spans) spans (got \(spansInspected))"))
        }
        var seen: [String: Int] = [:]
        for (i, d) in defects.enumerated() {
            let base = "defects[\(i)]"
            if let spans, d.span > spans {
                p.append(Problem("\(base).span", .range, "must be at most the bridge's \(spans) spans (got \(d.span))"))
            }
            if d.status == .present {
                if d.g == nil { p.append(Problem("\(base).g", .required, "is required when the defect is present")) }
                if d.k1 == nil { p.append(Problem("\(base).k1", .required, "is required when the defect is present")) }
                if d.k2 == nil { p.append(Problem("\(base).k2", .required, "is required when the defect is present")) }
            } else {
                for (name, value) in [("g", d.g.map(Double.init)), ("k1", d.k1), ("k2", d.k2)] where value != nil {
                    p.append(Problem("\(base).\(name)", .inconsistent, "must be absent when status is \(d.status.rawValue)"))
                }
                if d.ps { p.append(Problem("\(base).ps", .inconsistent, "cannot be true when status is \(d.status.rawValue)")) }
            }
            let key = "\(d.element.rawValue)|\(d.span)|\(d.instance ?? "")|\(d.code)"
            if let first = seen[key] {
                p.append(Problem(base, .duplicate, "repeats defects[\(first)] (same element, span, instance and code)"))
            } else {
                seen[key] = i
            }
        }
        var types: Set<CriticalElementType> = []
        for (i, c) in criticalElements.enumerated() where !types.insert(c.type).inserted && c.type != .other {
            p.append(Problem("criticalElements[\(i)].type", .duplicate, "'\(c.type.rawValue)' is listed twice"))
        }
        return p
    }
}

extension SpecialInspectionConcluded: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        let (f, problems) = existingBridge(bridgeId, observedAt, ctx)
        var p = problems
        if let b = f.bridge, !b.postTensioned {
            p.append(
                Problem(
                    "bridgeId", .inconsistent, "Annex D special inspections apply to post-tensioned decks; the census says bridge \(bridgeId) is not")
            )
        }
        return p
    }
}

extension AssessmentConcluded: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        var p = existingBridge(bridgeId, observedAt, ctx).1
        let l3: Set<AssessmentOutcome> = [.level4Required, .level4NotRequired]
        if level == 3 && !l3.contains(outcome) {
            p.append(Problem("outcome", .enumeration, "a Level 3 outcome must be level4Required or level4NotRequired (got \(outcome.rawValue))"))
        }
        if level == 4 && l3.contains(outcome) {
            p.append(Problem("outcome", .enumeration, "a Level 4 outcome must be adequate, operable or passableWithLimits (got \(outcome.rawValue))"))
        }
        if outcome == .passableWithLimits && loadLimitTonnes == nil {
            p.append(Problem("loadLimitTonnes", .required, "is required when the outcome is passableWithLimits"))
        }
        return p
    }
}

extension InterventionCompleted: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { existingBridge(bridgeId, observedAt, ctx).1 }
}

extension TrafficMeasureChanged: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        var p = existingBridge(bridgeId, observedAt, ctx).1
        if measure == .loadLimit && loadLimitTonnes == nil {
            p.append(Problem("loadLimitTonnes", .required, "is required for a loadLimit"))
        }
        if measure != .loadLimit && loadLimitTonnes != nil {
            p.append(Problem("loadLimitTonnes", .inconsistent, "must be absent for \(measure.rawValue)"))
        }
        return p
    }
}

extension DocumentAttached: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { existingBridge(bridgeId, observedAt, ctx).1 }
}
