import Foundation
import Synchronization

/// Server-side sessions for clients that send no `sid` (pixels, redirects, server events): a
/// visitor's hits on one site share a session until 30 minutes pass without one. Upstream minted a
/// new session per hit (§18.4). Thread-safe.
///
/// Memory is bounded by generations, not by scanning: visitors touched since the last rotation are
/// in `current`, the ones before in `previous`. Every `timeout` the generations rotate and what was
/// in `previous` (not seen for at least `timeout`, so expired) is dropped at once. The earlier
/// design filtered the whole map every 10 000 hits and, once full, sorted it on every hit: with a
/// million visitors in half an hour each request paid for a million-entry sort.
public final class SessionTracker: Sendable {
    /// An id kept as its 16 bytes when it is a canonical UUID (nearly always): an entry then owns
    /// no heap memory, so a generation of half a million visitors is freed at once instead of
    /// object by object (that took the CPU from requests for a tenth of a second), hashes faster
    /// and takes less than half the memory. Ids reach the tracker normalised (lower case), so
    /// the text comes back exactly as given.
    enum CompactID: Hashable {
        case uuid(UInt64, UInt64)
        case text(String)

        init(_ text: String) {
            // Parsed case-insensitively: only lower case text is the canonical form given back.
            var upperCase = false
            guard let uuid = TimeUUID.parse(text, upperCase: &upperCase), !upperCase else {
                self = .text(text)
                return
            }
            let (high, low) = withUnsafeBytes(of: uuid.uuid) { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
            self = .uuid(high, low)
        }

        var text: String {
            switch self {
            case .text(let text): return text
            case .uuid(let high, let low):
                var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                withUnsafeMutableBytes(of: &uuid) { raw in
                    raw.storeBytes(of: high, as: UInt64.self)
                    raw.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
                }
                return TimeUUID.text(UUID(uuid: uuid))
            }
        }
    }

    struct Key: Hashable {
        let site: String
        let vid: CompactID
        init(site: String, vid: String) {
            self.site = site
            self.vid = CompactID(vid)
        }
    }

    struct Entry {
        var id: CompactID
        var lastSeen: Date
        init(sid: String, lastSeen: Date) {
            id = CompactID(sid)
            self.lastSeen = lastSeen
        }
        var sid: String { id.text }
    }

    struct State {
        var current: [Key: Entry] = [:]
        var previous: [Key: Entry] = [:]
        var rotated: Date?
    }

    public let timeout: TimeInterval
    /// The most visitors one generation holds; past it the generations rotate early (the oldest
    /// sessions are forgotten sooner rather than memory growing).
    let generationLimit: Int
    let state = Mutex(State())

    public init(timeout: TimeInterval = 30 * 60, maxEntries: Int = 1_000_000) {
        self.timeout = timeout
        self.generationLimit = max(1, maxEntries / 2)
    }

    /// The session for this hit: the client's own `sid` when it sent one (and it is remembered),
    /// else the visitor's current session if still active, else `mint()`. `newVisitor`: the `vid`
    /// was minted for this hit, so no session can exist (the lookup is skipped).
    public func session(site: String, vid: String, clientSID: String?, at now: Date, newVisitor: Bool = false,
                        mint: () -> String) -> String {
        let key = Key(site: site, vid: vid)
        var dropped: [Key: Entry] = [:]
        defer { release(dropped) }
        return state.withLock { state in
            dropped = rotateIfDue(&state, now: now)
            if newVisitor {
                let sid = clientSID ?? mint()
                state.current[key] = Entry(sid: sid, lastSeen: now)
                return sid
            }
            // Returning visitors are mostly in `current`: found and updated with one hashing.
            if let index = state.current.index(forKey: key) {
                let entry = state.current.values[index]
                if clientSID == nil, now.timeIntervalSince(entry.lastSeen) < timeout {
                    state.current.values[index].lastSeen = max(now, entry.lastSeen)
                    return entry.sid
                }
                let sid = clientSID ?? mint()
                state.current.values[index] = Entry(sid: sid, lastSeen: max(now, entry.lastSeen))
                return sid
            }
            let old = state.previous.isEmpty ? nil : state.previous.removeValue(forKey: key)
            let active = old.flatMap { now.timeIntervalSince($0.lastSeen) < timeout ? $0.sid : nil }
            let sid = clientSID ?? active ?? mint()
            state.current[key] = Entry(sid: sid, lastSeen: max(now, old?.lastSeen ?? now))
            return sid
        }
    }

    /// Restores sessions that were active before a restart (read from the store at start).
    public func seed(site: String, vid: String, sid: String, lastSeen: Date) {
        let dropped = state.withLock { state in
            defer { state.current[Key(site: site, vid: vid)] = Entry(sid: sid, lastSeen: lastSeen) }
            return rotateIfDue(&state, now: lastSeen)
        }
        release(dropped)
    }

    public var count: Int { state.withLock { $0.current.count + $0.previous.count } }

    /// Returns the generation it drops, if any.
    func rotateIfDue(_ state: inout State, now: Date) -> [Key: Entry] {
        guard let rotated = state.rotated else {
            state.rotated = now
            return [:]
        }
        guard now.timeIntervalSince(rotated) >= timeout || state.current.count >= generationLimit else { return [:] }
        let dropped = state.previous
        state.previous = state.current
        // Sized like the generation before: growing to hundreds of thousands of entries rehashed
        // everything at each doubling, on the event loop and under the lock.
        state.current = Dictionary(minimumCapacity: min(state.previous.count, generationLimit))
        state.rotated = now
        return dropped
    }

    /// Freeing up to half a million entries takes a while: not on the event loop, not in the lock.
    func release(_ dropped: [Key: Entry]) {
        guard !dropped.isEmpty else { return }
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(dropped) {} }
    }
}
