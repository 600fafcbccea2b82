import EventLog
import Foundation

/// Versioned, idempotent schema migrations, applied in one transaction under an advisory lock
/// so two `presidio db migrate` runs cannot race.
///
/// Tables (in schema `presidio` unless another is named):
/// - `events`: one row per event, positions gap-free; payload and metadata as the exact bytes
///   (`bytea`), hashed by the chain.
/// - `head`: the single row (position, hash) every append locks: it orders commits.
/// - `events_json` (view): the read-only face for other city modules, payload as `jsonb`.
public enum PostgresSchema {
    /// The schema version this build needs.
    public static let current = 4

    static func migrations(_ s: String) -> [(Int, [String])] {
        [
            (
                1,
                [
                    """
                    CREATE TABLE \(s).events (
                        position       bigint  PRIMARY KEY CHECK (position > 0),
                        stream         text    NOT NULL,
                        category       text    NOT NULL,
                        version        bigint  NOT NULL CHECK (version >= 0),
                        event_id       uuid    NOT NULL UNIQUE,
                        type           text    NOT NULL,
                        schema_version integer NOT NULL,
                        recorded_at    bigint  NOT NULL,
                        actor          text    NOT NULL,
                        correlation_id uuid,
                        causation_id   uuid,
                        metadata       bytea   NOT NULL,
                        payload        bytea   NOT NULL,
                        hash           bytea   NOT NULL,
                        UNIQUE (stream, version)
                    )
                    """,
                    "CREATE INDEX events_category_position ON \(s).events (category, position)",
                    """
                    CREATE TABLE \(s).head (
                        id       integer PRIMARY KEY CHECK (id = 1),
                        position bigint  NOT NULL,
                        hash     bytea   NOT NULL
                    )
                    """,
                    "INSERT INTO \(s).head VALUES (1, 0, '\\x\(String(repeating: "0", count: 64))'::bytea)",
                    """
                    CREATE VIEW \(s).events_json AS
                    SELECT position, stream, category, version, event_id, type, schema_version,
                           to_timestamp(recorded_at / 1000000.0) AS recorded_at, actor, correlation_id, causation_id,
                           convert_from(metadata, 'UTF8')::jsonb AS metadata,
                           convert_from(payload, 'UTF8')::jsonb AS data,
                           encode(hash, 'hex') AS hash
                    FROM \(s).events
                    """,
                    "COMMENT ON VIEW \(s).events_json IS 'Presidio event log, read-only: one row per event in position order; data and metadata as jsonb.'",
                ]
            ),
            (
                2,
                [
                    """
                    CREATE TABLE \(s).snapshots (
                        name         text        PRIMARY KEY,
                        position     bigint      NOT NULL,
                        code_version integer     NOT NULL,
                        rule_set     text        NOT NULL,
                        state        bytea       NOT NULL,
                        sha256       text        NOT NULL,
                        saved_at     timestamptz NOT NULL DEFAULT now()
                    )
                    """,
                    "COMMENT ON TABLE \(s).snapshots IS 'Projection snapshots (read models can always be rebuilt from events).'",
                ]
            ),
            (
                3,
                [
                    """
                    CREATE TABLE \(s).server_state (
                        kind       text        NOT NULL,
                        key        text        NOT NULL,
                        value      bytea       NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (kind, key)
                    )
                    """,
                    "COMMENT ON TABLE \(s).server_state IS 'What the API nodes share besides the log: token hashes, idempotency records, feed consumer positions. Not events.'",
                ]
            ),
            (
                4,
                [
                    // The log is append-only in the database too: no UPDATE, DELETE or
                    // TRUNCATE of an event, except a redaction (`applyRedaction`), which names
                    // its position in `presidio.redacting` for its transaction and may change
                    // the payload only (the chain's check of the tombstone is done before).
                    """
                    CREATE FUNCTION \(s).events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF TG_OP = 'UPDATE' AND current_setting('presidio.redacting', true) = OLD.position::text
                           AND (NEW.position, NEW.stream, NEW.category, NEW.version, NEW.event_id, NEW.type, NEW.schema_version,
                                NEW.recorded_at, NEW.actor, NEW.metadata, NEW.hash)
                               IS NOT DISTINCT FROM
                               (OLD.position, OLD.stream, OLD.category, OLD.version, OLD.event_id, OLD.type, OLD.schema_version,
                                OLD.recorded_at, OLD.actor, OLD.metadata, OLD.hash)
                           AND NEW.correlation_id IS NOT DISTINCT FROM OLD.correlation_id
                           AND NEW.causation_id IS NOT DISTINCT FROM OLD.causation_id THEN
                            RETURN NEW;
                        END IF;
                        RAISE EXCEPTION 'the Presidio event log is append-only: % refused', TG_OP
                            USING ERRCODE = 'insufficient_privilege', HINT = 'payloads are redacted with presidio audit redact';
                    END $$
                    """,
                    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON \(s).events FOR EACH ROW EXECUTE FUNCTION \(s).events_append_only()",
                    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON \(s).events FOR EACH STATEMENT EXECUTE FUNCTION \(s).events_append_only()",
                ]
            ),
        ]
    }

    /// `presidio` or another plain lower-case identifier (it is spliced into DDL, so it is checked).
    static func validated(_ schema: String) throws -> String {
        let ok =
            !schema.isEmpty && schema.count <= 48
            && schema.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
            && !(schema.first!.isNumber)
        guard ok else {
            throw EventStoreError(.invalidArgument, "schema name '\(schema)' must be lower-case letters, digits and '_'")
        }
        return schema
    }

    /// Brings the schema to `current`; returns the versions applied.
    static func migrate(_ conn: PGConnection, schema: String) throws -> [Int] {
        let s = try validated(schema)
        return try conn.transaction { () throws -> [Int] in
            try conn.exec("SELECT pg_advisory_xact_lock(7262091, hashtext($1))", [.text(s)])
            try conn.exec("CREATE SCHEMA IF NOT EXISTS \(s)")
            try conn.exec(
                "CREATE TABLE IF NOT EXISTS \(s).migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let have = try conn.exec("SELECT coalesce(max(version), 0)::int4 FROM \(s).migrations")
            let installed = Int(try have.int4(0, 0))
            var applied: [Int] = []
            for (version, statements) in migrations(s) where version > installed {
                for sql in statements { try conn.exec(sql) }
                try conn.exec("INSERT INTO \(s).migrations (version) VALUES ($1)", [.int4(Int32(version))])
                applied.append(version)
            }
            return applied
        }
    }

    /// Refuses a database whose schema is missing, older or newer than this build.
    static func check(_ conn: PGConnection, schema: String) throws {
        let s = try validated(schema)
        let found: Int
        do {
            found = Int(try conn.exec("SELECT coalesce(max(version), 0)::int4 FROM \(s).migrations").int4(0, 0))
        } catch let e as PostgresError where e.code == .undefinedTable {
            throw EventStoreError(
                .schema, "the database has no Presidio schema '\(s)': run `presidio db migrate --store <url>` first")
        }
        if found < current {
            throw EventStoreError(
                .schema, "the database schema '\(s)' is at version \(found), this presidio needs \(current): run `presidio db migrate --store <url>`")
        }
        if found > current {
            throw EventStoreError(
                .schema, "the database schema '\(s)' is at version \(found), newer than this presidio (\(current)): upgrade presidio")
        }
    }
}
