import Foundation

/// What a rule may consult besides the submission itself: the clock and the facts of the
/// assets the submission touches (loaded before validation, updated within a batch).
public struct ValidationContext: Sendable {
    public var now: Date
    public var assets: [String: AssetFacts]

    public init(now: Date, assets: [String: AssetFacts] = [:]) {
        self.now = now
        self.assets = assets
    }

    public func facts(_ stream: String) -> AssetFacts { assets[stream] ?? AssetFacts(stream: stream) }
}

/// The Città metropolitana di Milano's extent (WGS84), with a small margin.
public enum MetropolitanArea {
    public static let latitude = 45.10...45.70
    public static let longitude = 8.65...9.60

    public static func contains(_ p: GeoPoint) -> Bool { latitude.contains(p.lat) && longitude.contains(p.lon) }

    /// The municipality is one of the 133 and the point inside the metropolitan area, near that
    /// municipality's centre (`MetropolitanMunicipalities`).
    static func check(_ p: GeoPoint, municipality: String) -> [Problem] {
        let known = MetropolitanMunicipalities.named(municipality) != nil
        let box = check(p)
        let named = MetropolitanMunicipalities.check(municipality: municipality, location: p)
        return known && !box.isEmpty ? box : named + box
    }

    static func check(_ p: GeoPoint, path: String = "location") -> [Problem] {
        contains(p)
            ? []
            : [
                Problem(
                    path, .outsideArea,
                    "must lie inside the Città metropolitana di Milano (lat \(latitude.lowerBound)–\(latitude.upperBound), lon \(longitude.lowerBound)–\(longitude.upperBound); got \(p.lat), \(p.lon))"
                )
            ]
    }
}

/// Rules that need more than one field, the clock or the log. Every event type has them.
public protocol ContextRules {
    /// Streams whose facts the rules need, besides the event's own.
    var relatedStreams: [String] { get }
    func problems(in context: ValidationContext) -> [Problem]
}

extension ContextRules {
    public var relatedStreams: [String] { [] }
}

/// Common date rules: not in the future, not before the asset existed.
enum DateRules {
    static func day(_ s: String, path: String = "observedAt", context: ValidationContext, notBefore: Date? = nil, what: String = "the asset")
        -> [Problem]
    {
        guard let d = DomainTime.date(s) else { return [] }
        return check(d, text: s, path: path, context: context, notBefore: notBefore, what: what, slack: 86_400)
    }

    static func time(_ s: String, path: String = "observedAt", context: ValidationContext, notBefore: Date? = nil, what: String = "the asset")
        -> [Problem]
    {
        guard let d = DomainTime.dateTime(s) else { return [] }
        return check(d, text: s, path: path, context: context, notBefore: notBefore, what: what, slack: 300)
    }

    /// `slack`: a day for calendar dates (time zones), five minutes for clocks.
    static func check(
        _ d: Date, text: String, path: String, context: ValidationContext, notBefore: Date?, what: String, slack: TimeInterval
    ) -> [Problem] {
        var out: [Problem] = []
        if d.timeIntervalSince(context.now) > slack {
            out.append(Problem(path, .future, "must not be in the future (got \(text), now is \(DomainTime.timestampString(context.now)))"))
        }
        if let notBefore, d < notBefore.addingTimeInterval(-1) {
            let when = DomainTime.dayString(notBefore)
            out.append(Problem(path, .beforeAsset, "must not be before \(what) existed (\(when); got \(text))"))
        }
        return out
    }

    static func exists(_ f: AssetFacts, path: String, noun: String) -> [Problem] {
        let id = f.stream.split(separator: "-", maxSplits: 1).last ?? ""
        if f.registered { return [] }
        if f.exists {
            return [
                Problem(
                    path, .notFound,
                    "\(noun) '\(id)' has no valid registration in the log (the one recorded was parked: see `presidio projections status`); file it again first"
                )
            ]
        }
        return [Problem(path, .notFound, "\(noun) '\(id)' is not registered")]
    }

    /// A creation is refused when the asset is registered; a stream whose creation event was
    /// parked may receive a valid one.
    static func new(_ f: AssetFacts, path: String, noun: String) -> [Problem] {
        f.registered ? [Problem(path, .alreadyExists, "\(noun) is already registered (stream \(f.stream) at version \(f.version!))")] : []
    }
}
