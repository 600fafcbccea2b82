import Foundation

extension WasteSiteRegistered: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        var p = DateRules.new(ctx.facts(stream), path: "siteId", noun: "site \(siteId)")
        p += DateRules.day(observedAt, context: ctx)
        p += MetropolitanArea.check(location, municipality: municipality)
        var seen: [String: Int] = [:]
        for (i, a) in areas.enumerated() {
            if let first = seen[a.areaId] {
                p.append(Problem("areas[\(i)].areaId", .duplicate, "'\(a.areaId)' is also areas[\(first)]"))
            } else {
                seen[a.areaId] = i
            }
        }
        if let indoor = indoorM2, indoor > footprintM2 {
            p.append(Problem("indoorM2", .inconsistent, "must not exceed footprintM2 (\(footprintM2); got \(indoor))"))
        }
        return p
    }
}

private func existingSite(_ id: String, _ observedAt: String, _ ctx: ValidationContext, time: Bool = false) -> (AssetFacts, [Problem]) {
    let f = ctx.facts("wastesite-\(id)")
    var p = DateRules.exists(f, path: "siteId", noun: "site")
    p +=
        time
        ? DateRules.time(observedAt, context: ctx, notBefore: f.createdAt, what: "the site's registration")
        : DateRules.day(observedAt, context: ctx, notBefore: f.createdAt, what: "the site's registration")
    return (f, p)
}

extension WasteSiteInspected: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        let (f, problems) = existingSite(siteId, observedAt, ctx)
        var p = problems
        if let site = f.wasteSite {
            let areas = Set(site.areas.map(\.areaId))
            for (i, m) in measured.enumerated() where !areas.contains(m.areaId) {
                p.append(
                    Problem(
                        "measured[\(i)].areaId", .notFound,
                        "site \(siteId) has no area '\(m.areaId)' (areas: \(areas.sorted().joined(separator: ", ")))"))
            }
        }
        if items[ChecklistItem.quantity.rawValue]?.outcome == .conforme, let site = f.wasteSite {
            let authorised = Dictionary(site.areas.map { ($0.areaId, $0.authorisedTonnes) }, uniquingKeysWith: { a, _ in a })
            for (i, m) in measured.enumerated() {
                if let limit = authorised[m.areaId], m.tonnes > limit {
                    p.append(
                        Problem(
                            "items.quantity.outcome", .inconsistent,
                            "is conforme but measured[\(i)] (\(m.tonnes) t in \(m.areaId)) exceeds the authorised \(limit) t"))
                }
            }
        }
        return p
    }
}

extension WasteSiteFollowUpRecorded: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        var p = existingSite(siteId, observedAt, ctx).1
        let overlap = Set(resolvedItems).intersection(stillOpenItems)
        for item in overlap.sorted(by: { $0.rawValue < $1.rawValue }) {
            p.append(Problem("stillOpenItems", .inconsistent, "'\(item.rawValue)' is also listed as resolved"))
        }
        if resolvedItems.isEmpty && stillOpenItems.isEmpty {
            p.append(Problem("resolvedItems", .count, "a follow-up must name at least one item (resolved or still open)"))
        }
        return p
    }
}

extension WasteSiteSanctioned: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { existingSite(siteId, observedAt, ctx).1 }
}

extension WasteSiteFireReported: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { existingSite(siteId, observedAt, ctx, time: true).1 }
}
