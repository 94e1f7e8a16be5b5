import Foundation
import Synchronization

/// Server-side sessions for clients that send no `sid` (pixels, redirects, server events): a
/// visitor's hits on one site share a session until 30 minutes pass without one. Upstream minted a
/// new session per hit (§18.4). Thread-safe; memory is bounded by pruning idle visitors.
public final class SessionTracker: Sendable {
    struct Key: Hashable { let site: String; let vid: String }
    struct Entry { var sid: String; var lastSeen: Date }
    struct State {
        var entries: [Key: Entry] = [:]
        var operationsSincePrune = 0
    }

    public let timeout: TimeInterval
    let maxEntries: Int
    let state = Mutex(State())

    public init(timeout: TimeInterval = 30 * 60, maxEntries: Int = 1_000_000) {
        self.timeout = timeout
        self.maxEntries = maxEntries
    }

    /// The session for this hit: the client's own `sid` when it sent one (and it is remembered),
    /// else the visitor's current session if still active, else `mint()`.
    public func session(site: String, vid: String, clientSID: String?, at now: Date,
                        mint: () -> String) -> String {
        let key = Key(site: site, vid: vid)
        return state.withLock { state in
            let sid: String
            if let clientSID {
                sid = clientSID
            } else if let entry = state.entries[key], now.timeIntervalSince(entry.lastSeen) < timeout {
                sid = entry.sid
            } else {
                sid = mint()
            }
            state.entries[key] = Entry(sid: sid, lastSeen: max(now, state.entries[key]?.lastSeen ?? now))
            state.operationsSincePrune += 1
            if state.operationsSincePrune >= 10_000 || state.entries.count > maxEntries {
                prune(&state, now: now)
            }
            return sid
        }
    }

    /// Restores sessions that were active before a restart (read from the store at start).
    public func seed(site: String, vid: String, sid: String, lastSeen: Date) {
        state.withLock { $0.entries[Key(site: site, vid: vid)] = Entry(sid: sid, lastSeen: lastSeen) }
    }

    public var count: Int { state.withLock { $0.entries.count } }

    func prune(_ state: inout State, now: Date) {
        state.operationsSincePrune = 0
        state.entries = state.entries.filter { now.timeIntervalSince($0.value.lastSeen) < timeout }
        if state.entries.count > maxEntries {
            let keep = state.entries.sorted { $0.value.lastSeen > $1.value.lastSeen }.prefix(maxEntries)
            state.entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
