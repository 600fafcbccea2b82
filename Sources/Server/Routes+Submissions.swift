import Crypto
import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Metrics

/// `POST /v1/submissions/{kind}`: the same validation and append path as `presidio submit`.
extension PresidioRoutes {
    /// Which roles may submit a kind. Alert raises and escalations come from the projection
    /// workers only; people acknowledge, resolve and reopen.
    static func roles(forKind kind: String) -> Set<Role>? {
        switch kind {
        case "alert-raised", "alert-escalation": return nil
        case "meter-readings": return [.ingest, .engineer]
        case "bridge-census", "bridge-census-amendment", "building", "meter-installation", "meter-replacement", "tariff", "wastesite",
            "alert-acknowledgement", "alert-resolution", "alert-reopening":
            return [.engineer]
        default: return [.inspector, .engineer]
        }
    }

    func submit(_ request: Request, _ context: APIContext) async throws -> Response {
        let kind = context.parameters.get("kind") ?? ""
        guard Catalog.entry(kind: kind) != nil else {
            throw APIProblem(
                .notFound,
                "unknown submission kind '\(kind)'; one of \(Catalog.entries.map(\.kind).filter { Self.roles(forKind: $0) != nil }.joined(separator: ", "))"
            )
        }
        guard let roles = Self.roles(forKind: kind) else {
            throw APIProblem(.forbidden, "\(kind) events are published by the projection workers only")
        }
        let principal = try context.require(roles, "submitting \(kind)")
        let body = try await collect(request, context)
        let json = try SubmissionBody.json(
            kind: kind, contentType: request.headers[.contentType], body: body, intervalMinutes: query(request, "intervalMinutes").flatMap { Int($0) }
        )
        let ifMatch = try Self.ifMatch(request)
        if ifMatch != nil, json.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "[") {
            throw APIProblem.badRequest("If-Match", "applies to one object (one asset), not to an array")
        }
        return try await idempotent(
            request, context, principal: principal, fingerprint: Data("\(kind)\n\(ifMatch.map(String.init) ?? "")\n".utf8) + json
        ) { submissionId in
            let started = DispatchTime.now().uptimeNanoseconds
            let result: Submitter.Result
            do {
                result = try await Submitter(store: env.store, cache: env.facts).submit(
                    kind: kind, json: json, actor: actor(principal, request), submissionId: submissionId, ifMatch: ifMatch)
            } catch let e as EventStoreError where e.code == .wrongExpectedVersion && ifMatch != nil {
                throw APIProblem(.preconditionFailed, e.message, problems: [Problem("If-Match", .inconsistent, e.message)])
            }
            Timer(label: "presidio_append_duration_seconds").recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            Counter(label: "presidio_appended_events_total").increment(by: Int64(result.appended))
            return try await accepted(result)
        }
    }

    /// `If-Match: "5"` (or `5`, `W/"5"`): the stream version a registry edit was made against.
    static func ifMatch(_ request: Request) throws -> UInt64? {
        guard var v = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces) else { return nil }
        if v.hasPrefix("W/") { v.removeFirst(2) }
        v = v.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let n = UInt64(v) else {
            throw APIProblem.badRequest("If-Match", "must be the asset's stream version as its ETag gives it, e.g. \"3\" (got '\(v.prefix(20))')")
        }
        return n
    }

    /// The actor recorded in the log: the token's principal (a local command names its user).
    func actor(_ p: Principal, _ request: Request) -> String {
        if p.role == .local, let who = request.headers[HTTPField.Name("X-Presidio-Actor")!], !who.isEmpty, who.count <= 120 {
            return who
        }
        return p.name
    }

    struct Accepted: Codable {
        var kind: String
        var appended: Int
        var positions: [UInt64]
        var streams: [String]
        var versions: [UInt64]
    }

    func accepted(_ r: Submitter.Result) async throws -> (HTTPResponse.Status, Data) {
        var versions: [UInt64] = r.versions ?? []
        for p in r.positions where r.versions == nil {
            if let e = try await env.store.read(from: p, limit: 1).first, e.position == p { versions.append(e.version) }
        }
        let out = Accepted(kind: r.kind, appended: r.appended, positions: r.positions, streams: r.streams, versions: versions)
        return (r.appended == 0 ? .ok : .created, try Self.encode(out))
    }

    /// Collects the body up to the limit (413 beyond it).
    func collect(_ request: Request, _ context: APIContext) async throws -> Data {
        do {
            var buffer = try await request.body.collect(upTo: context.maxUploadSize)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch let e as HTTPError where e.status == .contentTooLarge {
            throw APIProblem(.contentTooLarge, "the request body is larger than \(context.maxUploadSize) bytes")
        }
    }

    /// `Idempotency-Key`: the same key with the same body answers with the stored response; with
    /// another body it is a 422. The key also fixes the submission id, so even two concurrent
    /// retries append once.
    func idempotent(
        _ request: Request, _ context: APIContext, principal: Principal, fingerprint: Data,
        _ body: (UUID?) async throws -> (HTTPResponse.Status, Data)
    ) async throws -> Response {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else {
            let (status, data) = try await body(nil)
            return Self.json(data, status: status)
        }
        guard !key.isEmpty, key.count <= 200 else { throw APIProblem.badRequest("Idempotency-Key", "must be 1–200 characters") }
        let scope = Data("\(principal.name)\n\(request.uri.path)\n\(key)".utf8)
        let scoped = Data(SHA256.hash(data: scope)).hex
        let print = Data(SHA256.hash(data: fingerprint)).hex
        if let stored = try await env.state.get("idempotency", scoped), let rec = try? JSONDecoder().decode(IdempotencyRecord.self, from: stored) {
            guard rec.fingerprint == print else {
                throw APIProblem(
                    .unprocessableContent, "Idempotency-Key '\(key)' was used before with another request body",
                    problems: [Problem("Idempotency-Key", .duplicate, "was used before with another request body")])
            }
            var r = Self.json(Data(rec.body.utf8), status: HTTPResponse.Status(code: rec.status))
            r.headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
            return r
        }
        let submissionId = UUID.nameBased(scope)
        do {
            let (status, data) = try await body(submissionId)
            let rec = IdempotencyRecord(
                fingerprint: print, status: status.code, body: String(decoding: data, as: UTF8.self), at: Date().timeIntervalSince1970)
            try await env.state.put("idempotency", scoped, try JSONEncoder().encode(rec))
            return Self.json(data, status: status)
        } catch let v as ValidationFailure where v.problems.contains(where: { $0.path == "submissionId" }) {
            throw APIProblem(.unprocessableContent, "Idempotency-Key '\(key)' was used before with another request body", problems: v.problems)
        }
    }

    struct IdempotencyRecord: Codable {
        var fingerprint: String
        var status: Int
        var body: String
        var at: Double
    }
}

/// Turns the body of a submission into the JSON the Submitter takes: JSON as sent; for meter
/// readings also NDJSON (one object a line) and CSV (`meterId,observedAt,value` rows).
enum SubmissionBody {
    static func json(kind: String, contentType: String?, body: Data, intervalMinutes: Int?) throws -> Data {
        let media = (contentType ?? "application/json").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch media {
        case "application/json", "application/problem+json": return body
        case "application/x-ndjson", "application/ndjson", "application/jsonl":
            guard kind == "meter-readings" else { throw unsupported(kind, media) }
            return try ndjson(body)
        case "text/csv":
            guard kind == "meter-readings" else { throw unsupported(kind, media) }
            return try ReadingsCSV.json(body, defaultInterval: intervalMinutes)
        default:
            throw unsupported(kind, media)
        }
    }

    static func unsupported(_ kind: String, _ media: String) -> APIProblem {
        let allowed = kind == "meter-readings" ? "application/json, application/x-ndjson or text/csv" : "application/json"
        return APIProblem(.unsupportedMediaType, "Content-Type '\(media)' is not accepted for \(kind): send \(allowed)")
    }

    /// NDJSON lines → one JSON array (blank lines skipped; a bad line is named).
    static func ndjson(_ body: Data) throws -> Data {
        var out = Data("[".utf8)
        var n = 0
        for (i, line) in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard (try? JSONSerialization.jsonObject(with: Data(trimmed))) is [String: Any] else {
                throw APIProblem.badRequest("line \(i + 1)", "must be one JSON object")
            }
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: trimmed)
            n += 1
        }
        guard n > 0 else { throw APIProblem.badRequest("body", "holds no NDJSON line", code: .count) }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
