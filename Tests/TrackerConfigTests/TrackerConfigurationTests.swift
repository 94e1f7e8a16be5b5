import Foundation
import Testing
@testable import TrackerConfig
import TrackerCore

@Suite struct TrackerConfigurationTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test func zeroConfigurationHasSaneDefaults() throws {
        let config = try TrackerConfiguration.load(file: nil, environment: [:])
        #expect(config.listen == "0.0.0.0:8080")
        #expect(config.databasePath == "./data/tracker.sqlite")
        #expect(config.maxBodyBytes == 64 * 1024)
        #expect(config.allowOrigin == ["*"])
        #expect(config.sessionTimeoutSeconds == 1800)
        #expect(!config.storeRawIP)
        #expect(config.durability == "full")
        #expect(config.databaseCacheBytes == nil, "the store's own default")
        #expect(config.commitDelaySeconds == 0 && config.storageNice == 19)
    }

    /// Nice steps: past 19 is 19 (the kernel's limit), below 0 is a problem (raising storage
    /// above the event loops needs privileges and would starve them).
    @Test func storageNiceIsClampedAndNeverNegative() throws {
        #expect(try TrackerConfiguration.decode([:], environment: ["TRACKER_STORAGE_NICE": "25"]).storageNice == 19)
        #expect(try TrackerConfiguration.decode(["StorageNice": .number(0)], environment: [:]).storageNice == 0)
        let error = try #require(throws: ConfigError.self) { try TrackerConfiguration.decode(["StorageNice": .number(-1)], environment: [:]) }
        #expect(error.description.contains("StorageNice"))
    }

    /// `tracker validate` output for a broken file is a golden file; UPDATE_GOLDEN=1 rewrites it.
    @Test func everyProblemIsReportedWithItsPath() throws {
        let input = Self.golden.appendingPathComponent("invalid.json").path
        let expectedURL = Self.golden.appendingPathComponent("invalid.txt")
        let error = try #require(throws: ConfigError.self) { try TrackerConfiguration.load(file: input, environment: [:]) }
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] != nil {
            try (error.description + "\n").write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        #expect(error.description + "\n" == (try String(contentsOf: expectedURL, encoding: .utf8)))
        #expect(error.problems.count == 11)
    }

    @Test func upstreamSampleConfigurationStillLoads() throws {
        let config = try TrackerConfiguration.load(file: Self.golden.appendingPathComponent("upstream-config.json").path, environment: [:])
        #expect(config.listenPort == 8080)
        #expect(config.domains.contains("tr.sfpl.io"))
        #expect(config.urlFilterMatchGroup == 6)
        #expect(config.urlFilter != nil)
        #expect(config.debug)
        #expect(config.defaultRedirect == "https://sfpl.io")
        #expect(config.unusedLegacyKeys.contains("Notify"))
        // Upstream's local TLS keys now mean HTTPS on ProxyPortTLS with those files.
        #expect(!config.unusedLegacyKeys.contains("UseLocalTLS"))
        #expect(config.tls?.listenPort == 8443)
        #expect(config.tls?.certificates == [.init(certificate: "./.setup/keys/nginx.crt", key: "./.setup/keys/nginx.key")])
        #expect(config.tls?.redirectPort == nil)
    }

    @Test func environmentOverridesTheFile() throws {
        let config = try TrackerConfiguration.decode(["MaximumConnections": .number(5), "Listen": .string("127.0.0.1:1")], environment: [
            "TRACKER_MAXIMUM_CONNECTIONS": "7", "TRACKER_TRUSTED_PROXIES": "10.0.0.0/8, ::1", "TRACKER_STORE_RAW_IP": "true",
            "TRACKER_MAX_BODY_SIZE": "1MiB", "TRACKER_COOKIE_MAX_AGE": "2d", "TRACKER_DATA_DIRECTORY": "/var/lib/tracker",
            "TRACKER_DATABASE_CACHE_SIZE": "16MiB",
        ])
        #expect(config.databaseCacheBytes == 16 << 20)
        #expect(config.maximumConnections == 7)
        #expect(config.trustedProxies.count == 2)
        #expect(config.storeRawIP)
        #expect(config.maxBodyBytes == 1 << 20)
        #expect(config.cookieMaxAgeSeconds == 172_800)
        #expect(config.listen == "127.0.0.1:1")
        #expect(config.databasePath == "/var/lib/tracker/tracker.sqlite")
    }

    @Test func rateLimitsAreReadAndCheckedItemByItem() throws {
        let good = try TrackerConfiguration.decode([:], environment: [
            "TRACKER_RATE_LIMITS": #"[{"Name":"api","Paths":["/str/"],"Limit":100,"Period":"1m","Key":"header:X-Api-Key"}]"#,
        ])
        #expect(good.rateLimits == [RateLimitConfiguration(name: "api", paths: ["/str/"], limit: 100, periodSeconds: 60, header: "X-Api-Key")])
        let text = #"[{"Limit":0,"Period":"soon","Key":"cookie","Colour":1},{"Limit":5}]"#
        #expect { try TrackerConfiguration.decode(["RateLimits": try JSONParser.parse(text)], environment: [:]) } throws: { error in
            (error as? ConfigError)?.problems.map(\.path) == [
                "$.RateLimits[0].Colour", "$.RateLimits[0].Limit", "$.RateLimits[0].Period", "$.RateLimits[0].Key",
                "$.RateLimits[1].Period",
            ]
        }
    }

    @Test func postgresSchemasAreIdentifiers() throws {
        let good = try TrackerConfiguration.decode(["PostgresSchema": .string("tracker_2")], environment: [:])
        #expect(good.postgresSchema == "tracker_2")
        for bad in ["Tracker", "2nd", "a-b", "x\"; DROP", "", String(repeating: "a", count: 64)] {
            #expect { try TrackerConfiguration.decode(["PostgresSchema": .string(bad)], environment: [:]) } throws: { error in
                (error as? ConfigError)?.problems.map(\.path) == ["$.PostgresSchema"]
            }
        }
    }

    @Test func badEnvironmentValuesNameTheVariable() {
        #expect { try TrackerConfiguration.decode([:], environment: ["TRACKER_MAXIMUM_CONNECTIONS": "many"]) } throws: { error in
            (error as? ConfigError)?.problems == [ConfigProblem(path: "TRACKER_MAXIMUM_CONNECTIONS", message: "expected a whole number, found a string")]
        }
    }

    @Test func environmentNamesAreSnakeCase() {
        #expect(ConfigKey(name: "MaximumConnections", kind: .int).environmentName == "TRACKER_MAXIMUM_CONNECTIONS")
        #expect(ConfigKey(name: "StoreRawIP", kind: .bool).environmentName == "TRACKER_STORE_RAW_IP")
        #expect(ConfigKey(name: "ApiVersion", kind: .int).environmentName == "TRACKER_API_VERSION")
    }

    @Test(arguments: [("64KiB", 65536), ("8MiB", 8_388_608), ("1MB", 1_000_000), ("512", 512), ("2 GiB", 2_147_483_648)])
    func sizes(_ text: String, _ bytes: Int) {
        #expect(ConfigValues.parseSize(text) == bytes)
    }

    @Test(arguments: [("500ms", 0.5), ("10s", 10.0), ("30m", 1800.0), ("12h", 43200.0), ("400d", 34_560_000.0), ("15", 15.0)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(ConfigValues.parseDuration(text) == seconds)
    }

    @Test func malformedJSONIsOneProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        try "{\"Debug\": tru".write(to: directory, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect { try TrackerConfiguration.load(file: directory.path, environment: [:]) } throws: {
            (($0 as? ConfigError)?.problems.first?.message ?? "").hasPrefix("not valid JSON")
        }
    }
}
