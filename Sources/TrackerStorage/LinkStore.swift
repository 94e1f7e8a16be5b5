import Foundation

/// A short link: `https://<host>/<slug>` sends the visitor to `target`. Host and slug are kept
/// lower-case, so lookups ignore case (upstream stored lower-case but looked up as typed, §18).
public struct ShortLink: Sendable, Equatable {
    public var host: String
    public var slug: String
    public var target: String
    /// Campaign fields recorded with every hit (`source`, `medium`, `campaign`, `term`, `content`,
    /// `aff`, `ptyp`...).
    public var fields: [String: String]
    /// 301 instead of 302.
    public var permanent: Bool
    public var updated: Date
    /// The key id (or legacy account) that wrote it last.
    public var updater: String

    public init(host: String, slug: String, target: String, fields: [String: String] = [:], permanent: Bool = false,
                updated: Date, updater: String) {
        self.host = host.lowercased()
        self.slug = slug.lowercased()
        self.target = target
        self.fields = fields
        self.permanent = permanent
        self.updated = updated
        self.updater = updater
    }
}

/// A link with the number of times it was followed.
public struct CountedLink: Sendable, Equatable {
    public var link: ShortLink
    public var hits: Int

    public init(link: ShortLink, hits: Int) {
        self.link = link
        self.hits = hits
    }
}

/// An API key: the secret is shown once at creation; only its SHA-256 is stored (a random 32-byte
/// secret needs no slow hash). `sites` are the short-link hosts it may manage (`*` for all).
public struct APIKey: Sendable, Equatable {
    public var id: String
    public var secretHash: String
    public var name: String
    public var sites: [String]
    public var created: Date

    public init(id: String, secretHash: String, name: String, sites: [String], created: Date) {
        self.id = id
        self.secretHash = secretHash
        self.name = name
        self.sites = sites.map { $0.lowercased() }
        self.created = created
    }

    public func allows(host: String) -> Bool {
        let host = host.lowercased()
        return sites.contains { $0 == "*" || $0 == host || ($0.hasPrefix("*.") && host.hasSuffix($0.dropFirst(1))) }
    }
}

/// Links, their hit counts, API keys and the upstream's shortener accounts: small tables every
/// backend that holds events also holds (so several nodes share them). Every backend passes
/// `LinkStoreConformance`.
public protocol LinkStore: Sendable {
    /// Inserts or replaces the link at its host and slug (its hit count is kept).
    func saveLink(_ link: ShortLink) async throws(StorageError)
    /// True when there was such a link.
    func deleteLink(host: String, slug: String) async throws(StorageError) -> Bool
    /// One link with its hit count.
    func link(host: String, slug: String) async throws(StorageError) -> CountedLink?
    /// Links on any of `hosts` (all when nil), by host then slug.
    func links(hosts: [String]?) async throws(StorageError) -> [CountedLink]
    /// Adds followed counts (batched by the caller).
    func countHits(_ hits: [LinkKey: Int]) async throws(StorageError)

    func saveKey(_ key: APIKey) async throws(StorageError)
    func key(id: String) async throws(StorageError) -> APIKey?
    func keys() async throws(StorageError) -> [APIKey]
    func deleteKey(id: String) async throws(StorageError) -> Bool

    /// Upstream's shortener accounts (`/rpi/v1/...`): a slow, salted password hash per uid.
    func saveAccount(uid: String, passwordHash: String) async throws(StorageError)
    func accountPasswordHash(uid: String) async throws(StorageError) -> String?
}

public struct LinkKey: Sendable, Hashable {
    public var host: String
    public var slug: String

    public init(host: String, slug: String) {
        self.host = host.lowercased()
        self.slug = slug.lowercased()
    }
}
