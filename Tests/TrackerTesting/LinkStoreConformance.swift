import Foundation
import Testing
import TrackerStorage

/// What every store that keeps links must do: upsert by host and slug whatever their case, keep
/// hit counts across replacements, list by host in order, delete once; keys and accounts by id.
public enum LinkStoreConformance {
    public static func check(_ store: any LinkStore, _ name: String) async throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let spring = ShortLink(host: "Go.Example.com", slug: "Spring", target: "https://shop.example.com/Sale?x=1",
                               fields: ["campaign": "spring", "source": "mail"], updated: at, updater: "k1")
        try await store.saveLink(spring)
        #expect(try await store.link(host: "go.example.com", slug: "spring") == CountedLink(link: spring, hits: 0),
                "\(name): lookup ignores case")
        #expect(try await store.link(host: "GO.EXAMPLE.COM", slug: "SPRING")?.link.target == "https://shop.example.com/Sale?x=1",
                "\(name): the target keeps its case")
        try await store.saveLink(ShortLink(host: "go.example.com", slug: "a/b", target: "https://a.example/", permanent: true,
                                           updated: at, updater: "k1"))
        try await store.saveLink(ShortLink(host: "other.example", slug: "x", target: "https://b.example/", updated: at, updater: "k2"))

        try await store.countHits([LinkKey(host: "go.example.com", slug: "spring"): 3, LinkKey(host: "go.example.com", slug: "missing"): 1])
        try await store.countHits([LinkKey(host: "go.example.com", slug: "spring"): 2])
        var replaced = spring
        replaced.target = "https://shop.example.com/new"
        replaced.updater = "k3"
        try await store.saveLink(replaced)

        #expect(try await store.link(host: "go.example.com", slug: "spring")?.hits == 5, "\(name): one link's hits")
        let mine = try await store.links(hosts: ["go.example.com"])
        #expect(mine.map(\.link.slug) == ["a/b", "spring"], "\(name): listed by slug")
        #expect(mine.last?.hits == 5, "\(name): hits add up and survive a replacement")
        #expect(mine.last?.link == replaced, "\(name): the replacement is stored")
        #expect(mine.first?.link.permanent == true, "\(name)")
        #expect(try await store.links(hosts: nil).count == 3, "\(name): all hosts")
        #expect(try await store.links(hosts: []).isEmpty, "\(name): no hosts, no links")

        #expect(try await store.deleteLink(host: "GO.example.com", slug: "A/B") == true, "\(name)")
        #expect(try await store.deleteLink(host: "go.example.com", slug: "a/b") == false, "\(name): deleted once")
        #expect(try await store.link(host: "go.example.com", slug: "a/b") == nil, "\(name)")

        let key = APIKey(id: "abc123", secretHash: String(repeating: "e", count: 64), name: "ci", sites: ["go.example.com", "*.example.org"],
                         created: at)
        try await store.saveKey(key)
        try await store.saveKey(APIKey(id: "zzz", secretHash: "f", name: "", sites: ["*"], created: at))
        #expect(try await store.key(id: "abc123") == key, "\(name)")
        #expect(try await store.key(id: "nope") == nil, "\(name)")
        #expect(try await store.keys().map(\.id) == ["abc123", "zzz"], "\(name)")
        #expect(try await store.deleteKey(id: "zzz") == true, "\(name)")
        #expect(try await store.deleteKey(id: "zzz") == false, "\(name)")

        try await store.saveAccount(uid: "alice", passwordHash: "h1")
        try await store.saveAccount(uid: "alice", passwordHash: "h2")
        #expect(try await store.accountPasswordHash(uid: "alice") == "h2", "\(name): the last password wins")
        #expect(try await store.accountPasswordHash(uid: "bob") == nil, "\(name)")
    }
}
