import Domain
import EventLog
import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 `application/problem+json` answer. Carries the domain's field-level problems
/// (`path`, `code`, `message`) when a submission is refused, so a tablet can point at the field.
public struct APIProblem: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var title: String
    public var detail: String
    public var problems: [Problem]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ detail: String, problems: [Problem] = [], title: String? = nil) {
        self.status = status
        self.detail = detail
        self.problems = problems
        self.title = title ?? status.reasonPhrase
    }

    public var description: String { "\(status.code) \(title): \(detail)" }

    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String
        var problems: [Problem]?
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(
            type: "about:blank", title: title, status: status.code, detail: detail, instance: request.uri.path,
            problems: problems.isEmpty ? nil : problems)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var h = headers
        h[.contentType] = "application/problem+json"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: Array(try enc.encode(body)))))
    }

    static func badRequest(_ field: String, _ reason: String, code: Problem.Code = .format) -> APIProblem {
        APIProblem(.badRequest, "\(field): \(reason)", problems: [Problem(field, code, reason)])
    }

    static func notFound(_ what: String) -> APIProblem { APIProblem(.notFound, what) }

    /// Maps what the libraries throw to a status; never a 5xx for anything the client sent.
    static func from(_ error: any Error) -> APIProblem {
        switch error {
        case let p as APIProblem: return p
        case let v as ValidationFailure:
            return APIProblem(
                .unprocessableContent,
                "the submission has \(v.problems.count) problem(s); nothing was appended: "
                    + v.problems.prefix(3).map(\.description).joined(separator: "; "), problems: v.problems)
        case let e as EventStoreError:
            switch e.code {
            case .wrongExpectedVersion: return APIProblem(.conflict, e.message)
            case .duplicateEventId: return APIProblem(.conflict, e.message)
            case .invalidEvent, .invalidArgument: return APIProblem(.unprocessableContent, e.message)
            case .readOnly: return APIProblem(.serviceUnavailable, "this node does not append: \(e.message)")
            default: return APIProblem(.serviceUnavailable, "the store failed: \(e.message)")
            }
        case let e as HTTPError where e.status == .contentTooLarge:
            return APIProblem(.contentTooLarge, "the request body is larger than the limit")
        case let e as any HTTPResponseError:
            return APIProblem(e.status, "\(e)")
        default:
            return APIProblem(.internalServerError, "\(error)")
        }
    }
}
