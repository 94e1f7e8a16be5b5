import ArgumentParser
import Foundation
import TrackerConfig
import TrackerCore
import TrackerServer
import TrackerStorage

/// `tracker keys ...`: API keys of the links API.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke API keys of the links API.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; its secret is printed once, only its hash is kept.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "What the key is for (shown by `keys list`).")
        var name: String = ""
        @Option(help: "A short-link host the key may manage (repeat; *.example.com for subdomains, * for all).")
        var site: [String] = []

        func run() async throws {
            guard !site.isEmpty else { throw ValidationError("name at least one --site the key may manage") }
            let new = LinkCredentials.newKey(random: SystemRandomSource())
            try await withLinkStore(options.load()) { store in
                try await store.saveKey(APIKey(id: new.id, secretHash: new.secretHash, name: name, sites: site, created: Date()))
            }
            print(new.token)
            FileHandle.standardError.write(Data("key \(new.id) for \(site.joined(separator: ", ")): keep the line above, it is not stored\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (ids, names, sites; never secrets).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await withLinkStore(options.load()) { store in
                for key in try await store.keys() {
                    print("\(key.id)\t\(Timestamp.format(key.created))\t\(key.sites.joined(separator: ","))\t\(key.name)")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a key: requests with it are refused at once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The key's id (the part after trk_ and before the next _).")
        var id: String

        func run() async throws {
            let found = try await withLinkStore(options.load()) { try await $0.deleteKey(id: id) }
            guard found else { throw ValidationError("no key \(id)") }
        }
    }
}

/// `tracker accounts set UID`: an account of upstream's `/rpi/v1/redirect(s)/{uid}/{password}` routes.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accounts of upstream's shortener routes, for old clients.",
        subcommands: [Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account or change its password (read from standard input).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The account's uid.")
        var uid: String

        func run() async throws {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("give the password on standard input")
            }
            let hash = LinkCredentials.hashPassword(line, random: SystemRandomSource())
            try await withLinkStore(options.load()) { try await $0.saveAccount(uid: uid, passwordHash: hash) }
        }
    }
}

/// The configured link store, open while `body` runs (the server's choice: `TrackerServer.linkStore`).
func withLinkStore<T: Sendable>(_ configuration: TrackerConfiguration, _ body: (any LinkStore) async throws -> T) async throws -> T {
    try await Export.withStore(configuration, create: true) { events in
        try await body(TrackerServer.linkStore(configuration, events: events))
    }
}
