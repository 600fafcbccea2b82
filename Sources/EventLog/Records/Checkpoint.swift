import Crypto
import Foundation

/// A signed statement "this log, at this position, had this head hash, at this time": an
/// auditor keeps it outside the log, and any later copy of the log must still extend it
/// (`audit verify --checkpoint`). Format in `events/README.md` ("Signed checkpoints"): the
/// signature is Ed25519 over the exact UTF-8 bytes of `message`, so any Ed25519 tool can check
/// it without knowing Presidio.
public struct Checkpoint: Codable, Sendable, Hashable {
    public static let format = "presidio-checkpoint/1"
    public static let eventType = "LogCheckpointed"

    /// The hash of the log's first record: what tells one log from another.
    public var logId: String
    public var position: UInt64
    public var headHash: String
    public var time: String
    /// The signed text (the fields above, one per line).
    public var message: String
    /// Ed25519 signature of `message`, base64.
    public var signature: String
    /// The signer's public key, PEM (SubjectPublicKeyInfo), as `openssl pkeyutl -verify` reads it.
    public var publicKey: String

    /// The text that is signed: `presidio-checkpoint/1`, then `log`, `position`, `head` and `time` lines.
    public static func message(logId: String, position: UInt64, headHash: String, time: String) -> String {
        "\(format)\nlog \(logId)\nposition \(position)\nhead \(headHash)\ntime \(time)\n"
    }

    public static func sign(logId: String, position: UInt64, headHash: String, time: String, key: SigningKey) throws -> Checkpoint {
        let text = message(logId: logId, position: position, headHash: headHash, time: time)
        let signature = try key.key.signature(for: Data(text.utf8))
        return Checkpoint(
            logId: logId, position: position, headHash: headHash, time: time, message: text, signature: signature.base64EncodedString(),
            publicKey: key.publicKeyPEM)
    }

    public enum Problem: Error, CustomStringConvertible, Equatable {
        case malformed(String)
        case badSignature
        case otherKey(String)
        public var description: String {
            switch self {
            case .malformed(let s): "checkpoint is malformed: \(s)"
            case .badSignature: "checkpoint signature does not verify (the checkpoint was altered, or signed by another key)"
            case .otherKey(let fingerprint): "checkpoint was signed by key \(fingerprint), not the expected one"
            }
        }
    }

    /// Checks the signature, that the fields are the ones signed, and (if given) the signer.
    public func check(expectedKey: String? = nil) throws(Problem) {
        guard message == Self.message(logId: logId, position: position, headHash: headHash, time: time) else {
            throw .malformed("its fields differ from the signed message")
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: SigningKey.rawPublicKey(fromPEM: publicKey)) else {
            throw .malformed("publicKey is not an Ed25519 public key in PEM")
        }
        guard let sig = Data(base64Encoded: signature), key.isValidSignature(sig, for: Data(message.utf8)) else {
            throw .badSignature
        }
        if let expectedKey, (try? SigningKey.rawPublicKey(fromPEM: expectedKey)) != key.rawRepresentation {
            throw .otherKey(SigningKey.fingerprint(key.rawRepresentation))
        }
    }

    /// The record appended to the log (stream `log-checkpoints`): the checkpoint itself.
    public var event: ProposedEvent {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let payload = (try? enc.encode(self)) ?? Data("{}".utf8)
        return ProposedEvent(
            id: UUID.derived(from: "LogCheckpointed|\(message)"), stream: LogRecords.checkpointStream, type: Self.eventType,
            payload: payload, actor: LogRecords.actor)
    }
}

/// An Ed25519 private key kept as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form
/// `openssl genpkey -algorithm ed25519` writes, so keys can be made and checked either way.
public struct SigningKey: Sendable {
    /// The 32-byte seed (kept as bytes: the key type is not `Sendable`).
    private let seed: Data
    var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

    public init() { seed = Curve25519.Signing.PrivateKey().rawRepresentation }

    /// DER prefixes of the two structures for Ed25519 (RFC 8410): the key bytes follow.
    private static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
    private static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    public init(pem: String) throws {
        let der = try Self.der(fromPEM: pem, label: "PRIVATE KEY")
        guard der.count == Self.pkcs8Prefix.count + 32, Array(der.prefix(Self.pkcs8Prefix.count)) == Self.pkcs8Prefix else {
            throw Checkpoint.Problem.malformed("not an Ed25519 private key (PKCS#8 PEM)")
        }
        seed = try Curve25519.Signing.PrivateKey(rawRepresentation: der.suffix(32)).rawRepresentation
    }

    public var pem: String { Self.pem(Self.pkcs8Prefix + [UInt8](key.rawRepresentation), label: "PRIVATE KEY") }
    public var publicKeyPEM: String { Self.pem(Self.spkiPrefix + [UInt8](key.publicKey.rawRepresentation), label: "PUBLIC KEY") }
    public var fingerprint: String { Self.fingerprint(key.publicKey.rawRepresentation) }

    /// The first 16 hex digits of the SHA-256 of the raw public key.
    static func fingerprint(_ raw: Data) -> String { String(Data(SHA256.hash(data: raw)).hex.prefix(16)) }

    static func rawPublicKey(fromPEM pem: String) throws -> Data {
        let der = try der(fromPEM: pem, label: "PUBLIC KEY")
        guard der.count == spkiPrefix.count + 32, Array(der.prefix(spkiPrefix.count)) == spkiPrefix else {
            throw Checkpoint.Problem.malformed("not an Ed25519 public key (SubjectPublicKeyInfo PEM)")
        }
        return Data(der.suffix(32))
    }

    static func pem(_ der: [UInt8], label: String) -> String {
        "-----BEGIN \(label)-----\n\(Data(der).base64EncodedString())\n-----END \(label)-----\n"
    }

    static func der(fromPEM pem: String, label: String) throws -> [UInt8] {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN \(label)-----"), let end = lines.firstIndex(of: "-----END \(label)-----"), begin < end,
            let der = Data(base64Encoded: lines[(begin + 1)..<end].joined())
        else { throw Checkpoint.Problem.malformed("no \(label) PEM block") }
        return [UInt8](der)
    }
}

extension Checkpoint {
    /// Whether `store` still extends this checkpoint: the signature holds, the log is the same
    /// log (its first record's hash), reaches the position, and holds the same hash there. The
    /// chain itself is checked by `verify()`; together they prove nothing before the position
    /// changed. Returns why the proof fails, or nil.
    public func proof(in store: any EventStore, expectedKey: String? = nil) async throws -> String? {
        do { try check(expectedKey: expectedKey) } catch { return error.description }
        let head = try await store.headPosition()
        guard let first = try await store.read(from: 1, limit: 1).first else { return "the log is empty; the checkpoint is at position \(position)" }
        if first.hash.hex != logId {
            return "another log: its first record's hash is \(first.hash.hex.prefix(16))…, the checkpoint's log is \(logId.prefix(16))…"
        }
        if head < position {
            return "the log ends at position \(head) but the checkpoint is at \(position): positions \(head + 1)…\(position) were removed"
        }
        guard let e = try await store.read(from: position, limit: 1).first, e.position == position else {
            return "position \(position) cannot be read"
        }
        if e.hash.hex != headHash {
            return
                "the hash at position \(position) is \(e.hash.hex.prefix(16))…, the checkpoint signed \(headHash.prefix(16))…: the log was rewritten at or before \(position)"
        }
        return nil
    }
}

extension Checkpoint {
    public enum MakeProblem: Error, CustomStringConvertible {
        case emptyLog
        public var description: String { "the log is empty: nothing to checkpoint" }
    }

    /// Signs the store's head and appends the checkpoint to the log. With `skipIfUnchanged`,
    /// returns nil when the newest record is itself a checkpoint (a periodic signer does not
    /// sign its own records over and over).
    public static func make(store: any EventStore, key: SigningKey, now: Date = Date(), skipIfUnchanged: Bool = false) async throws -> Checkpoint? {
        let head = try await store.headPosition()
        guard head > 0, let first = try await store.read(from: 1, limit: 1).first, let last = try await store.read(from: head, limit: 1).first
        else { throw MakeProblem.emptyLog }
        if skipIfUnchanged && last.stream == LogRecords.checkpointStream { return nil }
        let time = ISO8601DateFormatter().string(from: now)
        let checkpoint = try sign(logId: first.hash.hex, position: head, headHash: last.hash.hex, time: time, key: key)
        try await store.append([checkpoint.event])
        return checkpoint
    }

    /// The checkpoint as its file holds it (sorted keys, indented).
    public var fileText: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }
}
