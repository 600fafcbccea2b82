// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Presidio",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "presidio", targets: ["presidio"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "EventLogPostgres", targets: ["EventLogPostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "EventLog",
            dependencies: ["CLZ4", .product(name: "Crypto", package: "swift-crypto")],
            // SSE 4.2 for the hardware CRC-32C instruction (CRC32C.swift); the SHA extensions for
            // FastSHA256.swift, used only after a CPU check at run time.
            swiftSettings: swiftSettings + [.unsafeFlags(["-Xcc", "-msse4.2", "-Xcc", "-msha"])]
        ),
        .target(
            name: "EventLogPostgres",
            dependencies: ["EventLog", "CLibPQ"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Domain",
            dependencies: ["EventLog", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Projections",
            dependencies: ["EventLog", "Domain", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "presidio",
            dependencies: ["EventLog", "EventLogPostgres", "Domain", "Projections", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EventLogTests",
            dependencies: ["EventLog", "EventLogPostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DomainTests",
            dependencies: ["Domain", "EventLog"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "Domain", "EventLog"],
            swiftSettings: swiftSettings
        ),
    ]
)
