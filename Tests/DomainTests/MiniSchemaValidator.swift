import Foundation

/// An independent checker for the JSON Schema subset the catalogue publishes (type, enum,
/// minimum/maximum, minLength/maxLength, pattern, format, properties, required,
/// additionalProperties, items, minItems/maxItems). It reads the published files, so a test
/// proves the examples against what other modules will actually use, not against our Swift
/// declarations.
enum MiniSchemaValidator {
    static func errors(_ value: Any, schema: [String: Any], path: String = "$") -> [String] {
        var out: [String] = []
        if let types = schema["type"] {
            let allowed = (types as? [String]) ?? [types as! String]
            if !allowed.contains(where: { matches(value, type: $0) }) { return ["\(path): not of type \(allowed)"] }
        }
        if value is NSNull { return [] }
        if let e = schema["enum"] as? [Any], !e.contains(where: { equal($0, value) }) { out.append("\(path): not in enum") }
        if let n = number(value) {
            if let min = (schema["minimum"] as? NSNumber)?.doubleValue, n < min { out.append("\(path): below minimum") }
            if let max = (schema["maximum"] as? NSNumber)?.doubleValue, n > max { out.append("\(path): above maximum") }
        }
        if let s = value as? String {
            if let min = schema["minLength"] as? Int, s.count < min { out.append("\(path): too short") }
            if let max = schema["maxLength"] as? Int, s.count > max { out.append("\(path): too long") }
            if let p = schema["pattern"] as? String, s.range(of: p, options: .regularExpression) == nil { out.append("\(path): pattern") }
            if schema["format"] as? String == "date", s.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil {
                out.append("\(path): not a date")
            }
            if schema["format"] as? String == "date-time",
                s.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#, options: .regularExpression) == nil
            {
                out.append("\(path): not a date-time")
            }
        }
        if let o = value as? [String: Any] {
            let props = schema["properties"] as? [String: Any] ?? [:]
            for r in schema["required"] as? [String] ?? [] where o[r] == nil { out.append("\(path).\(r): required") }
            for (k, v) in o {
                if let sub = props[k] as? [String: Any] {
                    out += errors(v, schema: sub, path: "\(path).\(k)")
                } else if schema["additionalProperties"] as? Bool == false {
                    out.append("\(path).\(k): additional property")
                }
            }
        }
        if let a = value as? [Any] {
            if let min = schema["minItems"] as? Int, a.count < min { out.append("\(path): too few items") }
            if let max = schema["maxItems"] as? Int, a.count > max { out.append("\(path): too many items") }
            if let items = schema["items"] as? [String: Any] {
                for (i, v) in a.enumerated() { out += errors(v, schema: items, path: "\(path)[\(i)]") }
            }
        }
        return out
    }

    static func isBool(_ v: Any) -> Bool { (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false }
    static func number(_ v: Any) -> Double? { isBool(v) ? nil : (v as? NSNumber)?.doubleValue }

    static func matches(_ v: Any, type: String) -> Bool {
        switch type {
        case "object": v is [String: Any]
        case "array": v is [Any]
        case "string": v is String
        case "boolean": isBool(v)
        case "number": number(v) != nil
        case "integer": number(v).map { $0 == $0.rounded() } ?? false
        case "null": v is NSNull
        default: false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = number(a), let y = number(b) { return abs(x - y) < 1e-9 }
        return false
    }
}
