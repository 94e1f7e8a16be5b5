import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TrackerCore
import TrackerStorage

/// Short links as the routes see them: a read-through cache in front of the store (changes made
/// through this node show at once; other nodes' within `cacheSeconds`), hit counts added up in
/// memory and written once a second, and the credentials of the links API.
public final class ShortLinks: Sendable {
    public let store: any LinkStore
    /// Hosts whose unknown paths are short links; empty means every host no site claims
    /// (upstream's fall-through).
    public let hosts: [String]
    let cacheSeconds: Double
    let random: any RandomSource
    let logger: Logger

    struct CacheEntry {
        var link: ShortLink?
        var expires: Double
    }

    let cache = Mutex<[LinkKey: CacheEntry]>([:])
    let pendingHits = Mutex<[LinkKey: Int]>([:])
    /// SHA-256 of passwords that verified recently, per account: PBKDF2 costs a quarter second.
    let verifiedPasswords = Mutex<[String: Double]>([:])
    static let maxCacheEntries = 100_000

    public init(store: any LinkStore, hosts: [String], cacheSeconds: Double = 30, random: any RandomSource = SystemRandomSource(),
                logger: Logger) {
        self.store = store
        self.hosts = hosts.map { $0.lowercased() }
        self.cacheSeconds = cacheSeconds
        self.random = random
        self.logger = logger
    }

    public func servesHost(_ host: String) -> Bool {
        hosts.isEmpty || hosts.contains(host)
    }

    public func resolve(host: String, slug: String) async throws(StorageError) -> ShortLink? {
        let key = LinkKey(host: host, slug: slug)
        let now = TrackerApplication.uptime()
        if let entry = cache.withLock({ $0[key] }), entry.expires > now { return entry.link }
        let link = try await store.link(host: key.host, slug: key.slug)?.link
        cache.withLock { cache in
            if cache.count >= Self.maxCacheEntries { cache.removeAll(keepingCapacity: true) }
            cache[key] = CacheEntry(link: link, expires: now + cacheSeconds)
        }
        return link
    }

    public func save(_ link: ShortLink) async throws(StorageError) {
        try await store.saveLink(link)
        invalidate(LinkKey(host: link.host, slug: link.slug))
    }

    public func delete(host: String, slug: String) async throws(StorageError) -> Bool {
        let deleted = try await store.deleteLink(host: host, slug: slug)
        invalidate(LinkKey(host: host, slug: slug))
        return deleted
    }

    func invalidate(_ key: LinkKey) {
        _ = cache.withLock { $0.removeValue(forKey: key) }
    }

    public func countHit(_ link: ShortLink) {
        pendingHits.withLock { $0[LinkKey(host: link.host, slug: link.slug), default: 0] += 1 }
    }

    /// Writes the counts gathered since the last flush; kept for the next one if the store fails.
    public func flushHits() async {
        let hits = pendingHits.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !hits.isEmpty else { return }
        do {
            try await store.countHits(hits)
        } catch {
            logger.warning("link hit counts not written, kept for the next try: \(error)")
            pendingHits.withLock { pending in
                for (key, count) in hits { pending[key, default: 0] += count }
            }
        }
    }

    /// A random slug no link on `host` uses yet.
    public func freshSlug(host: String) async throws(StorageError) -> String {
        for length in [7, 7, 7, 9, 12] {
            let slug = LinkCredentials.randomBase36(length, random: random)
            if try await store.link(host: host, slug: slug) == nil { return slug }
        }
        throw .unavailable("no free slug found")
    }

    /// The key a `Bearer trk_...` header names, when its secret matches.
    public func apiKey(authorization: String?) async throws(StorageError) -> APIKey? {
        guard let header = authorization, header.lowercased().hasPrefix("bearer "),
              let (id, secret) = LinkCredentials.parse(token: ASCII.trimmed(String(header.dropFirst(7)))),
              let key = try await store.key(id: id), LinkCredentials.matches(secret: secret, hash: key.secretHash) else {
            return nil
        }
        return key
    }

    /// Upstream's shortener accounts: PBKDF2 on a thread of its own, the result remembered for ten
    /// minutes so an old client's page of calls does not pay it each time.
    public func verifyAccount(uid: String, password: String) async throws(StorageError) -> Bool {
        guard let stored = try await store.accountPasswordHash(uid: uid) else { return false }
        let memo = LinkCredentials.sha256Hex(uid + "\u{0}" + password + "\u{0}" + stored)
        let now = TrackerApplication.uptime()
        if let until = verifiedPasswords.withLock({ $0[memo] }), until > now { return true }
        let valid = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: LinkCredentials.verifyPassword(password, stored: stored))
            }
        }
        if valid {
            verifiedPasswords.withLock { memos in
                if memos.count > 10_000 { memos.removeAll() }
                memos[memo] = now + 600
            }
        }
        return valid
    }
}

/// Writes short-link hit counts once a second, and the last ones at shutdown.
public struct LinkHitService: Service {
    let links: ShortLinks

    public init(links: ShortLinks) {
        self.links = links
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await links.flushHits()
            }
        }
        await links.flushHits()
    }
}
