import Foundation

extension MemoryEventStore: LinkStore {
    public func saveLink(_ link: ShortLink) async throws(StorageError) {
        state.withLock { state in
            let key = LinkKey(host: link.host, slug: link.slug)
            state.links[key] = CountedLink(link: link, hits: state.links[key]?.hits ?? 0)
        }
    }

    public func deleteLink(host: String, slug: String) async throws(StorageError) -> Bool {
        state.withLock { $0.links.removeValue(forKey: LinkKey(host: host, slug: slug)) != nil }
    }

    public func link(host: String, slug: String) async throws(StorageError) -> CountedLink? {
        state.withLock { $0.links[LinkKey(host: host, slug: slug)] }
    }

    public func links(hosts: [String]?) async throws(StorageError) -> [CountedLink] {
        let wanted = hosts.map { Set($0.map { $0.lowercased() }) }
        return state.withLock { state in
            state.links.values
                .filter { wanted?.contains($0.link.host) ?? true }
                .sorted { ($0.link.host, $0.link.slug) < ($1.link.host, $1.link.slug) }
        }
    }

    public func countHits(_ hits: [LinkKey: Int]) async throws(StorageError) {
        state.withLock { state in
            for (key, count) in hits { state.links[key]?.hits += count }
        }
    }

    public func saveKey(_ key: APIKey) async throws(StorageError) {
        state.withLock { $0.keys[key.id] = key }
    }

    public func key(id: String) async throws(StorageError) -> APIKey? {
        state.withLock { $0.keys[id] }
    }

    public func keys() async throws(StorageError) -> [APIKey] {
        state.withLock { $0.keys.values.sorted { $0.id < $1.id } }
    }

    public func deleteKey(id: String) async throws(StorageError) -> Bool {
        state.withLock { $0.keys.removeValue(forKey: id) != nil }
    }

    public func saveAccount(uid: String, passwordHash: String) async throws(StorageError) {
        state.withLock { $0.accounts[uid] = passwordHash }
    }

    public func accountPasswordHash(uid: String) async throws(StorageError) -> String? {
        state.withLock { $0.accounts[uid] }
    }
}
