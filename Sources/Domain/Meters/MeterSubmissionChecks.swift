import Foundation

extension BuildingRegistered: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        DateRules.new(ctx.facts(stream), path: "buildingId", noun: "building \(buildingId)") + DateRules.day(observedAt, context: ctx)
            + MetropolitanArea.check(location, municipality: municipality)
    }
}

extension MeterInstalled: ContextRules {
    public var relatedStreams: [String] { ["building-\(buildingId)"] }

    public func problems(in ctx: ValidationContext) -> [Problem] {
        let building = ctx.facts("building-\(buildingId)")
        var p = DateRules.new(ctx.facts(stream), path: "meterId", noun: "meter \(meterId)")
        p += DateRules.exists(building, path: "buildingId", noun: "building")
        p += DateRules.time(observedAt, context: ctx, notBefore: building.createdAt, what: "the building's registration")
        if !meterId.hasPrefix(buildingId + "-") {
            p.append(Problem("meterId", .inconsistent, "must start with the building id '\(buildingId)-' (got '\(meterId)')"))
        }
        if meterId.count > buildingId.count + 1, meterId[meterId.index(meterId.startIndex, offsetBy: buildingId.count + 1)] != kind.letter {
            p.append(
                Problem(
                    "meterId", .inconsistent, "a \(kind.rawValue) meter id uses the letter \(kind.letter) after the building id (got '\(meterId)')"))
        }
        if unit != kind.unit { p.append(Problem("unit", .inconsistent, "a \(kind.rawValue) meter counts in \(kind.unit) (got \(unit))")) }
        if initialReading >= pow(10, Double(registerDigits)) {
            p.append(Problem("initialReading", .range, "must fit the \(registerDigits)-digit register (got \(initialReading))"))
        }
        return p
    }
}

extension MeterReplaced: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        let f = ctx.facts(stream)
        var p = DateRules.exists(f, path: "meterId", noun: "meter")
        p += DateRules.time(observedAt, context: ctx, notBefore: f.lastReading?.at ?? f.createdAt, what: "the meter's last reading")
        if let last = f.lastReading, oldFinalReading < last.value {
            p.append(Problem("oldFinalReading", .decreasing, "must not be below the last recorded reading (\(last.value); got \(oldFinalReading))"))
        }
        return p
    }
}

extension MeterReadingsRecorded: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] {
        let f = ctx.facts(stream)
        var p = DateRules.exists(f, path: "meterId", noun: "meter")
        guard let start = DomainTime.dateTime(observedAt) else { return p }
        let step = Double(intervalMinutes * 60)
        if let m = f.meter, m.intervalMinutes != intervalMinutes {
            p.append(Problem("intervalMinutes", .inconsistent, "the meter reads every \(m.intervalMinutes) minutes (got \(intervalMinutes))"))
        }
        if let installed = f.createdAt, start < installed {
            p.append(Problem("observedAt", .beforeAsset, "must not be before the meter was installed (\(DomainTime.timestampString(installed)))"))
        }
        if let last = f.lastReading, start <= last.at {
            p.append(
                Problem(
                    "observedAt", .inconsistent,
                    "must be after the last reading already recorded (\(DomainTime.timestampString(last.at))); send only newer readings"))
        }
        let end = start.addingTimeInterval(step * Double(readings.count - 1))
        if end.timeIntervalSince(ctx.now) > 300 {
            p.append(Problem("readings", .future, "the last reading would be at \(DomainTime.timestampString(end)), in the future"))
        }
        var resetAt: [Int: RegisterReset] = [:]
        for (i, r) in (resets ?? []).enumerated() {
            if r.index >= readings.count {
                p.append(Problem("resets[\(i)].index", .range, "must point into readings (0…\(readings.count - 1); got \(r.index))"))
            } else if readings[r.index] == nil {
                p.append(Problem("resets[\(i)].index", .inconsistent, "points at a missing reading"))
            }
            resetAt[r.index] = r.kind
        }
        let digits = f.registerDigits ?? 12
        let registerMax = pow(10, Double(digits))
        // A register that goes backwards is data, not a refusal (a swap, a reset, a rollover the
        // gateway did not mark): the projection reads it and books no consumption across it.
        // Refusing it would refuse every later reading too, until the register climbed back.
        for (i, r) in readings.enumerated() {
            guard let value = r else { continue }
            if value >= registerMax {
                p.append(Problem("readings[\(i)]", .range, "must fit the \(digits)-digit register (got \(value))"))
            }
        }
        return p
    }
}

extension TariffSet: ContextRules {
    public func problems(in ctx: ValidationContext) -> [Problem] { [] }
}
