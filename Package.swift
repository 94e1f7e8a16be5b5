// swift-tools-version:6.1
import PackageDescription

// Dependencies point inward: TrackerCore knows nothing of storage or HTTP; only TrackerServer
// (the composition root) names concrete backends. See docs/ARCHITECTURE.md.
// The hot path's own targets skip dynamic exclusivity checks in release builds: measured at 2–3 %
// of the proxy's CPU (swift_beginAccess/endAccess, AccessSet::insert); debug builds and tests
// keep them, so a violation still shows there.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "tracker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tracker", targets: ["tracker"]),
        .executable(name: "nats-bench", targets: ["nats-bench"]),
        .executable(name: "store-bench", targets: ["store-bench"]),
        .executable(name: "pipeline-bench", targets: ["pipeline-bench"]),
        .executable(name: "nio-pixel", targets: ["nio-pixel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // SQLite's amalgamation, built with the options an embedded store wants and two changes of
        // ours (Sources/SQLite3/README.md): against Debian's libsqlite3 (3.40, built without
        // lookaside, with secure delete) it stores about 40 % more events per CPU second
        // (store-bench), and B-trees that grow at their right edge fill their pages.
        .target(
            name: "SQLite3",
            exclude: ["README.md"],
            cSettings: [
                .define("SQLITE_THREADSAFE", to: "2"),
                .define("SQLITE_DEFAULT_MEMSTATUS", to: "0"),
                .define("SQLITE_OMIT_DEPRECATED"),
                .define("SQLITE_OMIT_SHARED_CACHE"),
                .define("SQLITE_OMIT_PROGRESS_CALLBACK"),
                .define("SQLITE_OMIT_LOAD_EXTENSION"),
                .define("SQLITE_MAX_EXPR_DEPTH", to: "0"),
                .define("SQLITE_LIKE_DOESNT_MATCH_BLOBS"),
                .define("SQLITE_USE_ALLOCA"),
                .define("SQLITE_ENABLE_DBSTAT_VTAB"),
                .unsafeFlags(["-O3"], .when(configuration: .release)),
                .unsafeFlags(["-O2"], .when(configuration: .debug)),
            ]
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Linux calls Swift's Glibc module leaves out: epoll and eventfd (TrackerHTTP's direct
        // lanes), statx (TrackerSQLite's WALSync).
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        // A VFS shim in C: SQLite's VFS is a C struct of function pointers it calls for every
        // file operation, which Swift could fill only through @convention(c) thunks.
        .target(name: "CSQLiteWAL", dependencies: ["SQLite3"]),
        .target(
            name: "TrackerCore",
            dependencies: ["CZlib", "CLinux", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "_CryptoExtras", package: "swift-crypto")],
            swiftSettings: hotPath
        ),
        .target(name: "TrackerConfig", dependencies: ["TrackerCore"]),
        // The browser tracker, the generator pages and the extension live in web/; this target
        // embeds what the server serves.
        .target(
            name: "TrackerWeb",
            dependencies: ["TrackerCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "web",
            exclude: ["extension", "README.md"],
            sources: ["swift"],
            resources: [.embedInCode("tracker/track.js"), .embedInCode("tools")]
        ),
        .target(
            name: "TrackerStorage",
            dependencies: [
                "TrackerCore",
                "CLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: hotPath
        ),
        .target(
            name: "TrackerSQLite",
            dependencies: ["TrackerStorage", "TrackerCore", "SQLite3", "CSQLiteWAL", "CLinux"],
            resources: [.embedInCode("Migrations")],
            swiftSettings: hotPath
        ),
        .target(
            name: "TrackerPostgres",
            dependencies: [
                "TrackerStorage", "TrackerCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Migrations")]
        ),
        .target(
            name: "TrackerClickHouse",
            dependencies: [
                "TrackerStorage", "TrackerCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Migrations")]
        ),
        // A NATS client (core protocol, reconnection, request/reply, JetStream), usable on its own.
        .target(
            name: "NATSClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What tracker does with NATS: events published, tic.* messages consumed.
        .target(
            name: "TrackerNATS",
            dependencies: [
                "NATSClient", "TrackerStorage", "TrackerCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // TLS termination: certificates by SNI, the ClientHello sniffer, reloads; no HTTP.
        .target(
            name: "TrackerTLS",
            dependencies: [
                "TrackerCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The ACME (RFC 8555) client that obtains and renews certificates into TrackerTLS's store.
        .target(
            name: "TrackerACME",
            dependencies: [
                "TrackerTLS", "TrackerCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TrackerHTTP",
            dependencies: [
                "TrackerCore", "TrackerStorage", "TrackerConfig", "TrackerTLS", "TrackerWeb", "CLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: hotPath
        ),
        .target(
            name: "TrackerServer",
            dependencies: [
                "TrackerCore", "TrackerConfig", "TrackerStorage", "TrackerSQLite", "TrackerPostgres", "TrackerClickHouse", "TrackerHTTP",
                "TrackerTLS", "TrackerACME", "TrackerNATS", "NATSClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "nats-bench", dependencies: ["NATSClient"]),
        .executableTarget(name: "pipeline-bench", dependencies: ["TrackerCore"]),
        .executableTarget(name: "nio-pixel", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "store-bench", dependencies: [
            "TrackerSQLite", "TrackerPostgres", "TrackerClickHouse", "TrackerStorage", "TrackerCore",
        ]),
        .executableTarget(
            name: "tracker",
            dependencies: [
                "TrackerServer", "TrackerConfig", "TrackerStorage", "TrackerSQLite", "TrackerPostgres", "TrackerClickHouse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "TrackerTesting",
            dependencies: [
                "TrackerCore", "TrackerStorage", "TrackerConfig", "TrackerServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "NATSClient",
            ],
            path: "Tests/TrackerTesting"
        ),
        .testTarget(name: "TrackerCoreTests", dependencies: ["TrackerCore", "TrackerTesting"]),
        .testTarget(name: "TrackerConfigTests", dependencies: ["TrackerConfig", "TrackerTesting"],
                    exclude: ["Golden"]),
        .testTarget(name: "TrackerStorageTests",
                    dependencies: ["TrackerStorage", "TrackerSQLite", "TrackerTesting"]),
        .testTarget(name: "TrackerHTTPTests", dependencies: ["TrackerHTTP", "TrackerConfig"]),
        .testTarget(name: "TrackerPostgresTests", dependencies: [
            "TrackerPostgres", "TrackerServer", "TrackerConfig", "TrackerTesting",
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "TrackerClickHouseTests", dependencies: ["TrackerClickHouse", "TrackerTesting"], exclude: ["chdb_http.py"]),
        .testTarget(name: "TrackerNATSTests", dependencies: ["TrackerNATS", "TrackerStorage"]),
        .testTarget(name: "NATSClientTests", dependencies: ["NATSClient", "TrackerTesting"], exclude: ["interop.py"]),
        .testTarget(name: "TrackerTLSTests", dependencies: [
            "TrackerTLS", "TrackerACME", "TrackerTesting",
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "TrackerServerTests",
                    dependencies: ["TrackerServer", "TrackerTesting", "tracker", "NATSClient"], exclude: ["subscribe.py"]),
    ]
)
