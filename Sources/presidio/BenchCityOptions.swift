import ArgumentParser
import Projections

/// Options shared by the benchmarks that run the projections over the generated city.
struct BenchCityOptions: ParsableArguments {
    @Option(help: "Data-set seed.") var seed: UInt64 = 1
    @Option(help: "Days of meter readings (365 ≈ 35 M readings).") var days: Int = 365
    @Option(help: "Rule-set folder (default: $PRESIDIO_RULES or ./projections).") var rules: String?

    /// The three rule sets, loaded and validated.
    func ruleSets() throws -> (bridges: BridgeRules, meters: MeterRules, wasteSites: WasteSiteRules) {
        let dir = rules ?? RuleSetLoader.defaultDirectory
        return (
            try RuleSetLoader.load(BridgeRules.self, name: "bridges", directory: dir),
            try RuleSetLoader.load(MeterRules.self, name: "meters", directory: dir),
            try RuleSetLoader.load(WasteSiteRules.self, name: "wastesites", directory: dir)
        )
    }
}
