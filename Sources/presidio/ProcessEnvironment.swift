import EventLog
import EventLogPostgres
import Foundation
import Projections

/// The environment variables the CLI honours, read here and nowhere else: the libraries take
/// their settings as values (`PostgresStore.Options`, `Kernels`, `Parallel`, `RuleSetLoader`).
enum ProcessEnvironment {
    static let variables = ProcessInfo.processInfo.environment

    /// Applies the process-wide settings once, before any command runs.
    static func apply() {
        if variables["PRESIDIO_PORTABLE_SHA"] == "1" { Kernels.usePortableSHA256(true) }
        if let us = variables["PRESIDIO_SPIN_US"].flatMap(UInt64.init) { Parallel.setSpin(microseconds: us) }
        RuleSetLoader.configure(directory: variables["PRESIDIO_RULES"])
    }

    /// `PRESIDIO_PG_OPTIMISTIC=0` (measure the locked append path), `PRESIDIO_PG_COPY_ROWS=N`.
    static var postgresOptions: PostgresStore.Options {
        var o = PostgresStore.Options()
        if variables["PRESIDIO_PG_OPTIMISTIC"] == "0" { o.optimistic = false }
        if let n = variables["PRESIDIO_PG_COPY_ROWS"].flatMap(Int.init), n > 0 { o.copyThreshold = n }
        return o
    }
}
