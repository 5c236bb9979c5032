// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    // Dynamic exclusivity checks cost ~8 % of the server's CPU on the write path (perf);
    // debug builds (and so every test run) keep them.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Tusk",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "zk-server", targets: ["zk-server"]),
        .executable(name: "raft-sim", targets: ["raft-sim"]),
        .executable(name: "zk-cli", targets: ["zk-cli"]),
        .executable(name: "zk-bench", targets: ["zk-bench"]),
        .executable(name: "tusk-microbench", targets: ["tusk-microbench"]),
        .library(name: "ZooKeeperClient", targets: ["ZooKeeperClient"]),
        .library(name: "ZooKeeperRecipes", targets: ["ZooKeeperRecipes"]),
        .library(name: "ZooKeeperWire", targets: ["ZooKeeperWire"]),
        .library(name: "RaftCore", targets: ["RaftCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Wire: jute records, opcodes, error codes, framing. NIOCore only.
        .target(
            name: "ZooKeeperWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Pure Raft state machine: no dependencies at all.
        .target(name: "RaftCore", swiftSettings: swiftSettings),
        // zlib for crc32 (Debian's libz-dev).
        .systemLibrary(name: "CZlib", providers: [.apt(["libz-dev"])]),
        // On-disk WAL and snapshots behind RaftCore's storage protocol.
        .target(name: "RaftStorage", dependencies: ["RaftCore", "CZlib", "CTuskShims"], swiftSettings: swiftSettings),
        // Prefetch hints for the snapshot walk, malloc settings, O_DIRECT (C that Swift does not expose).
        .target(name: "CTuskShims"),
        // The replicated state machine: znode tree, sessions, ACLs, watches. Pure.
        .target(name: "ZNodeStore", dependencies: ["ZooKeeperWire", "CTuskShims"], swiftSettings: swiftSettings),
        // NIO server: connections, sessions, 4lw, config, write pipeline.
        .target(
            name: "ZooKeeperServer",
            dependencies: [
                "ZooKeeperWire", "ZNodeStore", "RaftCore", "RaftStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Seeded RNG, simulated network/disk, cluster harness, invariant checkers.
        .target(name: "SimulationSupport", dependencies: ["RaftCore"], swiftSettings: swiftSettings),
        // Async client library (pipelined requests, watches as AsyncSequences, reconnect).
        .target(
            name: "ZooKeeperClient",
            dependencies: [
                "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Recipes on the public client API only.
        .target(name: "ZooKeeperRecipes", dependencies: ["ZooKeeperClient"], swiftSettings: swiftSettings),
        .executableTarget(name: "zk-cli", dependencies: ["ZooKeeperClient"], swiftSettings: swiftSettings),
        .executableTarget(name: "zk-server", dependencies: ["ZooKeeperServer", "CTuskShims"], swiftSettings: swiftSettings),
        .executableTarget(name: "raft-sim", dependencies: ["SimulationSupport", "RaftCore"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "zk-bench",
            dependencies: [
                "ZooKeeperWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Timings of the hot pure parts (jute, tree, snapshots); run by scripts/microbench.
        .executableTarget(name: "tusk-microbench", dependencies: ["ZooKeeperWire", "ZNodeStore"], swiftSettings: swiftSettings),

        // Runnable examples (README "Examples"): one executable each, sharing argument parsing,
        // line output and signal handling; recipes and the client only.
        .target(name: "ExampleSupport", dependencies: ["ZooKeeperClient"], path: "Sources/Examples/ExampleSupport", swiftSettings: swiftSettings),
        .executableTarget(name: "leader-election", dependencies: ["ExampleSupport", "ZooKeeperRecipes"], path: "Sources/Examples/leader-election", swiftSettings: swiftSettings),
        .executableTarget(name: "distributed-lock", dependencies: ["ExampleSupport", "ZooKeeperRecipes"], path: "Sources/Examples/distributed-lock", swiftSettings: swiftSettings),
        .executableTarget(name: "sharding", dependencies: ["ExampleSupport", "ZooKeeperRecipes"], path: "Sources/Examples/sharding", swiftSettings: swiftSettings),
        .executableTarget(name: "config-flags", dependencies: ["ExampleSupport", "ZooKeeperClient", "ZooKeeperWire"], path: "Sources/Examples/config-flags", swiftSettings: swiftSettings),

        .testTarget(name: "ZooKeeperWireTests", dependencies: ["ZooKeeperWire"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "RaftCoreTests", dependencies: ["RaftCore", "SimulationSupport"], exclude: ["testdata"], swiftSettings: swiftSettings),
        .testTarget(name: "RaftStorageTests", dependencies: ["RaftStorage", "CTuskShims"], swiftSettings: swiftSettings),
        .testTarget(name: "ZNodeStoreTests", dependencies: ["ZNodeStore"], swiftSettings: swiftSettings),
        .testTarget(name: "ZooKeeperServerTests", dependencies: ["ZooKeeperServer", "RaftStorage", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio")], swiftSettings: swiftSettings),
        .testTarget(name: "ZooKeeperClientTests", dependencies: ["ZooKeeperClient", "ZooKeeperRecipes"], swiftSettings: swiftSettings),
    ]
)
