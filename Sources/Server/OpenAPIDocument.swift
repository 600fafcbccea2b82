import Domain
import Projections
import Foundation

/// The OpenAPI 3.1 description of the API, generated from the routes' declarations here and
/// the event catalogue's JSON Schemas (request bodies of every submission kind). Checked in
/// as `events/openapi.json` by `presidio catalog write`; a test keeps the two equal.
public enum OpenAPIDocument {
    public static let data: Data = {
        (try? JSONSerialization.data(withJSONObject: document(), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }()

    public static var text: String { String(decoding: data, as: UTF8.self) + "\n" }

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static func problemResponses(_ codes: [Int]) -> [String: Any] {
        let reasons = [
            400: "Bad request (a field named in problems)", 401: "No or unknown bearer token", 403: "The token's role may not do this",
            404: "Not found", 409: "Conflict with the log's state", 412: "If-Match: the asset moved on", 413: "Body larger than the limit",
            415: "Unsupported Content-Type",
            422: "Invalid content; nothing appended", 503: "Not ready (projections catching up)",
        ]
        var out: [String: Any] = [:]
        for c in codes {
            out[String(c)] = ["description": reasons[c] ?? "error", "content": ["application/problem+json": ["schema": ref("Problem")]]]
        }
        return out
    }

    static func ok(_ schema: [String: Any], _ description: String = "OK", type: String = "application/json") -> [String: Any] {
        ["description": description, "content": [type: ["schema": schema]]]
    }

    static func param(
        _ name: String, _ location: String = "query", schema: [String: Any] = ["type": "string"], required: Bool = false, _ doc: String = ""
    ) -> [String: Any] {
        ["name": name, "in": location, "required": location == "path" ? true : required, "schema": schema, "description": doc]
    }

    static func op(
        _ summary: String, tag: String, params: [[String: Any]] = [], body: [String: Any]? = nil, responses: [String: Any], secured: Bool = true
    ) -> [String: Any] {
        var o: [String: Any] = ["summary": summary, "tags": [tag], "parameters": params, "responses": responses]
        if let body { o["requestBody"] = body }
        o["security"] = secured ? [["bearer": [String]()]] : [[String: Any]()]
        return o
    }

    static var obj: [String: Any] { ["type": "object"] }
    static var page: [String: Any] {
        [
            "type": "object", "required": ["items", "total", "position"],
            "properties": [
                "items": ["type": "array", "items": obj], "total": ["type": "integer"], "nextCursor": ["type": ["string", "null"]],
                "position": ["type": "integer"],
            ],
        ]
    }
    static var paging: [[String: Any]] {
        [
            param("limit", schema: ["type": "integer", "minimum": 1, "maximum": 1000]),
            param("cursor", "query", schema: ["type": "string"], required: false, "nextCursor of the previous page"),
        ]
    }

    static func document() -> [String: Any] {
        let kinds = Catalog.entries.filter { $0.kind != "alert-raised" && $0.kind != "alert-escalation" }
        var kindBodies: [[String: Any]] = []
        var schemas: [String: Any] = [:]
        for e in kinds {
            var s = Catalog.jsonSchema(e)
            s.removeValue(forKey: "$schema")
            s.removeValue(forKey: "$id")
            schemas[e.eventType] = s
            kindBodies.append(ref(e.eventType))
        }
        schemas["Problem"] = [
            "type": "object", "required": ["type", "title", "status", "detail"],
            "properties": [
                "type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"], "detail": ["type": "string"],
                "instance": ["type": "string"],
                "problems": [
                    "type": "array",
                    "items": [
                        "type": "object", "required": ["path", "code", "message"],
                        "properties": ["path": ["type": "string"], "code": ["type": "string"], "message": ["type": "string"]],
                    ],
                ],
            ],
        ]
        schemas["Accepted"] = [
            "type": "object", "required": ["kind", "appended", "positions", "streams", "versions"],
            "properties": [
                "kind": ["type": "string"], "appended": ["type": "integer"], "positions": ["type": "array", "items": ["type": "integer"]],
                "streams": ["type": "array", "items": ["type": "string"]], "versions": ["type": "array", "items": ["type": "integer"]],
            ],
        ]
        let anyKind: [String: Any] = ["oneOf": kindBodies]
        let submissionBody: [String: Any] = [
            "required": true,
            "content": [
                "application/json": ["schema": ["oneOf": [anyKind, ["type": "array", "minItems": 1, "maxItems": 10000, "items": anyKind]]]],
                "application/x-ndjson": ["schema": ["type": "string"]],
                "text/csv": ["schema": ["type": "string"]],
            ],
        ]
        let idem = param(
            "Idempotency-Key", "header", schema: ["type": "string", "minLength": 1, "maxLength": 200], required: false,
            "same key + same body → the stored response")
        let actionBody: [String: Any] = [
            "required": true,
            "content": [
                "application/json": [
                    "schema": [
                        "type": "object", "additionalProperties": false,
                        "properties": [
                            "note": ["type": "string"], "reason": ["type": "string"],
                            "observedAt": ["type": "string", "format": "date-time", "pattern": DomainTime.yearPattern],
                        ],
                    ]
                ]
            ],
        ]
        let actionResponses = ["200": ok(ref("Accepted"), "Already appended (a retry)"), "201": ok(ref("Accepted"), "Appended (durable)")]
            .merging(problemResponses([400, 401, 403, 404, 409, 412, 413, 415, 422, 503])) { a, _ in a }
        let reads = problemResponses([400, 401, 403, 503])
        let paths: [String: Any] = [
            "/healthz": ["get": op("Liveness", tag: "ops", responses: ["200": ok(obj)], secured: false)],
            "/readyz": [
                "get": op(
                    "Readiness: store open, projections within the lag bound", tag: "ops", responses: ["200": ok(obj), "503": ok(obj, "Not ready")],
                    secured: false)
            ],
            "/metrics": ["get": op("Prometheus metrics", tag: "ops", responses: ["200": ok(["type": "string"], type: "text/plain")], secured: false)],
            "/openapi.json": ["get": op("This document", tag: "ops", responses: ["200": ok(obj)], secured: false)],
            "/v1/submissions/{kind}": [
                "post": op(
                    "Submit a survey or registry record (one object or an atomic array); 201 once durable", tag: "submissions",
                    params: [
                        param("kind", "path", schema: ["type": "string", "enum": kinds.map(\.kind)]), idem,
                        param(
                            "If-Match", "header", schema: ["type": "string"], required: false,
                            "registry edits: the asset's stream version (its ETag); 412 when it moved"),
                        param("intervalMinutes", schema: ["type": "integer", "enum": [15, 60]], required: false, "CSV meter readings only"),
                    ],
                    body: submissionBody, responses: actionResponses)
            ],
            "/v1/assets": [
                "get": op(
                    "Assets with their current state", tag: "read",
                    params: paging + [
                        param("domain", schema: ["type": "string", "enum": ["bridge", "meter", "wastesite", "building"]]), param("municipality"),
                        param("class"), param("state", schema: ["type": "string", "enum": ["alert", "normal", "unclassified"]]),
                    ], responses: ["200": ok(page)].merging(reads) { a, _ in a })
            ],
            "/v1/assets/{id}": [
                "get": op(
                    "One asset: state, derivation, alerts (asOf / asOfTime replay it; clock: recorded = what Presidio knew then, observed = facts observed by then)",
                    tag: "read",
                    params: [
                        param("id", "path"), param("asOf", schema: ["type": "integer", "minimum": 0]),
                        param("asOfTime", schema: ["type": "string", "format": "date-time", "pattern": DomainTime.yearPattern]),
                        param("clock", schema: ["type": "string", "enum": ["recorded", "observed"]]),
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403, 404, 503])) { a, _ in a })
            ],
            "/v1/assets/{id}/events": [
                "get": op(
                    "One asset's events: actor, observed and recorded times", tag: "read",
                    params: [
                        param("id", "path"), param("fromVersion", schema: ["type": "integer", "minimum": 0]),
                        param("limit", schema: ["type": "integer", "minimum": 1, "maximum": 1000]),
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403, 404])) { a, _ in a })
            ],
            "/v1/alerts": [
                "get": op(
                    "Alerts, firing first", tag: "alerts",
                    params: paging + [
                        param("state", schema: ["type": "string", "enum": ["firing", "resolved"]]),
                        param("severity", schema: ["type": "string", "enum": AlertSeverity.allCases.map(\.rawValue)]),
                        param("domain", schema: ["type": "string", "enum": ["bridge", "meter", "wastesite", "building"]]), param("asset"),
                        param("rule"),
                    ], responses: ["200": ok(page)].merging(reads) { a, _ in a })
            ],
            "/v1/alerts/{id}": [
                "get": op(
                    "One alert", tag: "alerts", params: [param("id", "path")],
                    responses: ["200": ok(obj)].merging(problemResponses([401, 403, 404, 503])) { a, _ in a })
            ],
            "/v1/alerts/{id}/acknowledge": [
                "post": op(
                    "Acknowledge with a note (an event)", tag: "alerts", params: [param("id", "path"), idem], body: actionBody,
                    responses: actionResponses)
            ],
            "/v1/alerts/{id}/resolve": [
                "post": op(
                    "Resolve with a reason (an event)", tag: "alerts", params: [param("id", "path"), idem], body: actionBody,
                    responses: actionResponses)
            ],
            "/v1/alerts/{id}/reopen": [
                "post": op(
                    "Reopen with a reason (an event)", tag: "alerts", params: [param("id", "path"), idem], body: actionBody,
                    responses: actionResponses)
            ],
            "/v1/queues/{name}": [
                "get": op(
                    "Safety-assessment, inspection or overdue queue", tag: "read",
                    params: [
                        param("name", "path", schema: ["type": "string", "enum": ["safety", "inspection", "overdue"]]),
                        param("today", schema: ["type": "string", "format": "date", "pattern": DomainTime.yearPattern]),
                        param("limit", schema: ["type": "integer", "minimum": 1, "maximum": 5000]),
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403, 404, 503])) { a, _ in a })
            ],
            "/v1/projections": ["get": op("Projection status", tag: "read", responses: ["200": ok(obj)].merging(reads) { a, _ in a })],
            "/v1/rulesets": ["get": op("Rule-set versions in force", tag: "read", responses: ["200": ok(obj)].merging(reads) { a, _ in a })],
            "/v1/feed": [
                "get": op(
                    "The log from a position, then live (NDJSON, or SSE)", tag: "feed",
                    params: [
                        param("from", schema: ["type": "integer", "minimum": 0]), param("category"), param("group"),
                        param("member", schema: ["type": "string", "pattern": "^[0-9]+/[0-9]+$"]),
                        param("follow", schema: ["type": "string", "enum": ["true", "false"]]),
                        param("limit", schema: ["type": "integer", "minimum": 1, "maximum": 10000000]),
                    ], responses: ["200": ok(["type": "string"], type: "application/x-ndjson")].merging(reads) { a, _ in a })
            ],
            "/v1/feed/groups/{group}/members/{member}": [
                "get": op(
                    "A consumer's committed position", tag: "feed",
                    params: [param("group", "path"), param("member", "path", schema: ["type": "string", "pattern": "^[0-9]+-of-[0-9]+$"])],
                    responses: ["200": ok(obj)].merging(reads) { a, _ in a }),
                "put": op(
                    "Commit a consumer's position", tag: "feed",
                    params: [param("group", "path"), param("member", "path", schema: ["type": "string", "pattern": "^[0-9]+-of-[0-9]+$"])],
                    body: [
                        "required": true,
                        "content": [
                            "application/json": [
                                "schema": [
                                    "type": "object", "required": ["position"], "properties": ["position": ["type": "integer", "minimum": 0]],
                                ]
                            ]
                        ],
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403, 422])) { a, _ in a }),
            ],
            "/v1/export/geojson": [
                "get": op(
                    "RFC 7946 map layer", tag: "feed",
                    params: [param("layer", schema: ["type": "string", "enum": ["bridges", "buildings", "wastesites"]], required: true)],
                    responses: ["200": ok(obj, type: "application/geo+json")].merging(reads) { a, _ in a })
            ],
            "/v1/public/bridges": [
                "get": op(
                    "Public consultation: bridges", tag: "public", params: paging + [param("municipality")],
                    responses: ["200": ok(page)].merging(problemResponses([400, 503])) { a, _ in a }, secured: false)
            ],
            "/v1/public/bridges/{id}": [
                "get": op(
                    "Public consultation: one bridge", tag: "public", params: [param("id", "path")],
                    responses: ["200": ok(obj)].merging(problemResponses([404, 503])) { a, _ in a }, secured: false)
            ],
            "/v1/public/wastesites": [
                "get": op(
                    "Public consultation: waste sites", tag: "public", params: paging + [param("municipality")],
                    responses: ["200": ok(page)].merging(problemResponses([400, 503])) { a, _ in a }, secured: false)
            ],
            "/v1/public/wastesites/{id}": [
                "get": op(
                    "Public consultation: one waste site", tag: "public", params: [param("id", "path")],
                    responses: ["200": ok(obj)].merging(problemResponses([404, 503])) { a, _ in a }, secured: false)
            ],
            "/v1/audit/verify": [
                "get": op(
                    "Verify every CRC and the whole hash chain; the repairs the log recorded (auditor, admin)", tag: "audit",
                    responses: ["200": ok(obj)].merging(problemResponses([401, 403])) { a, _ in a })
            ],
            "/v1/audit/history/{id}": [
                "get": op(
                    "Every event of an asset and of the alerts about it: actor, observed and recorded times, position, hash (auditor, admin)",
                    tag: "audit", params: [param("id", "path")],
                    responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403, 404])) { a, _ in a })
            ],
            "/v1/audit/replay": [
                "get": op(
                    "What Presidio showed at a past moment, or under another rule-set version; deterministic JSON (auditor, admin)", tag: "audit",
                    params: [
                        param("view", schema: ["type": "string", "enum": AuditReplay.View.allCases.map(\.rawValue)]),
                        param("asOf", schema: ["type": "string"], "a log position, an RFC 3339 time or a YYYY-MM-DD date (default: the head)"),
                        param("clock", schema: ["type": "string", "enum": ["recorded", "observed"]]),
                        param("rules", schema: ["type": "string"], "rule-set versions, e.g. bridges/v2,meters/v1"),
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403])) { a, _ in a })
            ],
            "/v1/audit/diff": [
                "get": op(
                    "What changed in alerts, bridge classes and queues between two moments (auditor, admin)", tag: "audit",
                    params: [
                        param("from", schema: ["type": "string"], required: true, "a log position, an RFC 3339 time or a date"),
                        param("to", schema: ["type": "string"], "default: the head"),
                        param("clock", schema: ["type": "string", "enum": ["recorded", "observed"]]),
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403])) { a, _ in a })
            ],
            "/v1/audit/report": [
                "get": op(
                    "Submissions, alerts handled, rule-set changes, repairs, checkpoints and verification between two recorded times (auditor, admin)",
                    tag: "audit",
                    params: [
                        param("from", schema: ["type": "string"], required: true, "RFC 3339 time or YYYY-MM-DD (recorded clock)"),
                        param("to", schema: ["type": "string"], "default: now"),
                        param("format", schema: ["type": "string", "enum": ["json", "md", "csv"]]),
                    ],
                    responses: [
                        "200": [
                            "description": "OK",
                            "content": [
                                "application/json": ["schema": obj], "text/markdown": ["schema": ["type": "string"]],
                                "text/csv": ["schema": ["type": "string"]],
                            ],
                        ]
                    ].merging(problemResponses([400, 401, 403])) { a, _ in a })
            ],
            "/v1/audit/redactions": [
                "post": op(
                    "Redact personal fields (texts, lists of texts) of one event: LogRedacted is appended, the payload becomes a tombstone keeping the original SHA-256 and length, and every hash still checks (admin)",
                    tag: "audit",
                    body: [
                        "required": true,
                        "content": [
                            "application/json": [
                                "schema": [
                                    "type": "object", "required": ["position", "fields", "reason"], "additionalProperties": false,
                                    "properties": [
                                        "position": ["type": "integer", "minimum": 1],
                                        "fields": [
                                            "type": "array", "minItems": 1, "items": ["type": "string", "minLength": 1],
                                            "description": "paths like inspector, notes, defects[*].photos, defects[0].notes",
                                        ],
                                        "reason": ["type": "string", "minLength": 1, "maxLength": 2000],
                                    ],
                                ]
                            ]
                        ],
                    ], responses: ["200": ok(obj)].merging(problemResponses([400, 401, 403, 404, 422])) { a, _ in a })
            ],
            "/v1/tokens": [
                "get": op("List tokens (admin)", tag: "admin", responses: ["200": ok(obj)].merging(problemResponses([401, 403])) { a, _ in a }),
                "post": op(
                    "Create a token (admin); shown once", tag: "admin",
                    params: [
                        param(
                            "Idempotency-Key", "header", schema: ["type": "string"], required: false,
                            "a retry with the same key is a 409 naming the token created")
                    ],
                    body: [
                        "required": true,
                        "content": [
                            "application/json": [
                                "schema": [
                                    "type": "object", "required": ["role", "name"], "additionalProperties": false,
                                    "properties": [
                                        "role": ["type": "string", "enum": Role.creatable.map(\.rawValue)],
                                        "name": ["type": "string", "minLength": 1, "maxLength": 120],
                                    ],
                                ]
                            ]
                        ],
                    ], responses: ["201": ok(obj)].merging(problemResponses([400, 401, 403, 409, 413, 422])) { a, _ in a }),
            ],
            "/v1/tokens/{id}": [
                "delete": op(
                    "Revoke a token (admin)", tag: "admin", params: [param("id", "path")],
                    responses: ["200": ok(obj)].merging(problemResponses([401, 403, 404, 409])) { a, _ in a })
            ],
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Presidio", "version": "1",
                "description": "Event-sourced monitoring of the Città metropolitana di Milano's bridges, school meters and waste sites.",
            ],
            "paths": paths,
            "components": ["schemas": schemas, "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]]],
        ]
    }
}
