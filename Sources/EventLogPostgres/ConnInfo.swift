internal import CLibPQ
import Foundation

/// What Presidio reads from a libpq connection string before connecting: whether it parses,
/// and the password, so that no message ever prints it (libpq echoes parts of a URI it cannot
/// parse, and argv is visible in `ps`: prefer `PRESIDIO_STORE` or `~/.pgpass`).
enum ConnInfo {
    static func parse(_ conninfo: String) -> (problem: String?, password: String?) {
        var err: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &err) else {
            let msg = err.map { String(cString: $0) } ?? "cannot be parsed"
            if let err { PQfreemem(err) }
            return (msg.trimmingCharacters(in: .whitespacesAndNewlines), nil)
        }
        defer { PQconninfoFree(options) }
        var password: String?
        var o = options
        while let keyword = o.pointee.keyword {
            if String(cString: keyword) == "password", let v = o.pointee.val { password = String(cString: v) }
            o += 1
        }
        return (nil, password)
    }

    /// `message` with every form of the password in `conninfo` replaced by `***`.
    static func redact(_ message: String, conninfo: String, password: String?) -> String {
        var secrets: [String] = []
        if let password, !password.isEmpty { secrets.append(password) }
        // URI userinfo `user:secret@`, raw (libpq quotes the token it could not decode).
        if let scheme = conninfo.range(of: "://") {
            let rest = conninfo[scheme.upperBound...]
            if let at = rest.lastIndex(of: "@") {
                let userinfo = rest[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    let raw = String(userinfo[userinfo.index(after: colon)...])
                    secrets.append(raw)
                    if let decoded = raw.removingPercentEncoding { secrets.append(decoded) }
                }
            }
            // `?password=…` in the query.
            if let q = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: q)...].split(separator: "&") where pair.hasPrefix("password=") {
                    secrets.append(String(pair.dropFirst("password=".count)))
                }
            }
        }
        // key=value form: `password=secret` or `password='se cret'`.
        if let r = conninfo.range(of: #"password\s*=\s*('([^'\\]|\\.)*'|\S+)"#, options: .regularExpression) {
            var v = conninfo[r].split(separator: "=", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if v.hasPrefix("'") && v.hasSuffix("'") && v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            secrets.append(v)
        }
        var out = message
        for s in secrets.filter({ !$0.isEmpty }).sorted(by: { $0.count > $1.count }) { out = out.replacingOccurrences(of: s, with: "***") }
        return out
    }

    /// Whether libpq's message says the server refused us (not that it could not be reached).
    static func isRejection(_ message: String) -> Bool {
        let m = message.lowercased()
        return [
            "authentication failed", "no password supplied", "does not exist", "no pg_hba.conf entry", "permission denied", "password is required",
            "server does not support ssl", "ssl is not enabled",
        ].contains { m.contains($0) }
    }
}
