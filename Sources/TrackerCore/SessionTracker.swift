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
///
/// Visitors are spread over shards (32 with the default bound), each with its own generations
/// and lock: one map of half a million visitors rehashed everything at each doubling, on the
/// event loop and under the lock (50–130 ms stalls of every request in the first minute of a
/// pixel benchmark, each hit a new visitor); a shard's map stays under 16 000.
public final class SessionTracker: Sendable {
    /// An id kept as its 16 bytes when it is a canonical UUID (nearly always): an entry then owns
    /// no heap memory, so a generation of half a million visitors is freed at once instead of
    /// object by object (that took the CPU from requests for a tenth of a second), hashes faster
    /// and takes less than half the memory. Ids reach the tracker normalised (lower case), so
    /// the text comes back exactly as given.
    enum CompactID: Hashable {
        case uuid(UInt64, UInt64)
        case text(String)

        init(_ uuid: UUID) {
            let (high, low) = withUnsafeBytes(of: uuid.uuid) { ($0.load(as: UInt64.self), $0.load(fromByteOffset: 8, as: UInt64.self)) }
            self = .uuid(high, low)
        }

        init(_ text: String) {
            // Parsed case-insensitively: only lower case text is the canonical form given back.
            var upperCase = false
            guard let uuid = TimeUUID.parse(text, upperCase: &upperCase), !upperCase else {
                self = .text(text)
                return
            }
            self.init(uuid)
        }

        var text: String {
            switch self {
            case .text(let text): return text
            case .uuid(let high, let low): return TimeUUID.text(Self.uuid(high, low))
            }
        }

        /// The UUID it was made from; nil for text.
        var uuid: UUID? {
            guard case .uuid(let high, let low) = self else { return nil }
            return Self.uuid(high, low)
        }

        static func uuid(_ high: UInt64, _ low: UInt64) -> UUID {
            var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &uuid) { raw in
                raw.storeBytes(of: high, as: UInt64.self)
                raw.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
            }
            return UUID(uuid: uuid)
        }
    }

    struct Key: Hashable {
        let site: String
        let vid: CompactID
        init(site: String, vid: String) {
            self.site = site
            self.vid = CompactID(vid)
        }

        init(site: String, vid: CompactID) {
            self.site = site
            self.vid = vid
        }
    }

    struct Entry {
        var id: CompactID
        var lastSeen: Date
        init(sid: String, lastSeen: Date) {
            id = CompactID(sid)
            self.lastSeen = lastSeen
        }

        init(id: CompactID, lastSeen: Date) {
            self.id = id
            self.lastSeen = lastSeen
        }
        var sid: String { id.text }
    }

    struct State {
        var current: [Key: Entry] = [:]
        var previous: [Key: Entry] = [:]
        /// The generation `current` belongs to (see `generations`).
        var epoch = 0
    }

    final class Shard: Sendable {
        let state = Mutex(State())
    }

    public let timeout: TimeInterval
    /// The most visitors one generation of a shard holds; past it the shard's generations rotate
    /// early (the oldest sessions are forgotten sooner rather than memory growing).
    let generationLimit: Int
    let shards: [Shard]
    /// When generations last turned over, and how many times they have: every `timeout`, for all
    /// shards at once; a shard catches up (rotating once, or dropping both generations if it
    /// missed two) when next touched.
    let generations = Mutex<(rotated: Date?, epoch: Int)>((nil, 0))

    public init(timeout: TimeInterval = 30 * 60, maxEntries: Int = 1_000_000) {
        self.timeout = timeout
        // Small bounds (tests, tiny deployments) keep one shard, so the bound stays exact.
        let shardCount = min(32, max(1, maxEntries / 30_000))
        self.generationLimit = max(1, maxEntries / 2 / shardCount)
        shards = (0..<shardCount).map { _ in Shard() }
    }

    /// The key's shard: from the id's bits (random in v4 and v7 ids, time in v1), mixed.
    func shard(_ key: Key) -> Shard {
        guard shards.count > 1 else { return shards[0] }
        let bits: UInt64
        switch key.vid {
        case .uuid(let high, let low): bits = high ^ low
        case .text(let text): bits = UInt64(bitPattern: Int64(text.hashValue))
        }
        return shards[Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> 32) % shards.count]
    }

    /// The session for this hit: the client's own `sid` when it sent one (and it is remembered),
    /// else the visitor's current session if still active, else `mint()`. `newVisitor`: the `vid`
    /// was minted for this hit, so no session can exist (the lookup is skipped).
    public func session(site: String, vid: String, clientSID: String?, at now: Date, newVisitor: Bool = false,
                        mint: () -> String) -> String {
        session(Key(site: site, vid: vid), clientSID: clientSID.map { SentID(exactly: $0) }, at: now, newVisitor: newVisitor) {
            let sid = mint()
            return (sid, CompactID(sid))
        }
    }

    /// The session of a visitor whose id the server just minted (a UUIDv7). Without a client
    /// `sid`, its first session's id is derived from the visitor's (`firstSession`) and nothing
    /// is remembered: most such visitors never come back (every pixel of an e-mail is one), and
    /// remembering each for the timeout was a map insertion per hit, a fifteenth of the pixel's
    /// thread, and most of this tracker's memory under a mail campaign. A visitor that does come
    /// back finds no entry; its id's own time then says whether that first session is still
    /// active, and the same id is derived again (`session(_:clientSID:at:newVisitor:mint:)`).
    public func session(site: String, newVisitor vid: UUID, clientSID: String?, at now: Date, mint: () -> UUID) -> String {
        session(site: site, newVisitor: vid, sentSID: clientSID.map { SentID(exactly: $0) }, at: now, mint: mint)
    }

    func session(site: String, newVisitor vid: UUID, sentSID clientSID: SentID?, at now: Date, mint: () -> UUID) -> String {
        guard let clientSID else { return TimeUUID.text(Self.firstSession(of: vid, site: site)) }
        return session(Key(site: site, vid: CompactID(vid)), clientSID: clientSID, at: now, newVisitor: true) { Self.both(mint()) }
    }

    /// The pipeline's entry for a visitor that sent its id: both ids already parsed (`SentID`).
    func session(site: String, vid: SentID, sentSID clientSID: SentID?, at now: Date, mint: () -> UUID) -> String {
        session(Key(site: site, vid: vid.compact), clientSID: clientSID, at: now, newVisitor: false) { Self.both(mint()) }
    }

    /// A session id as text and as kept.
    static func both(_ sid: UUID) -> (String, CompactID) { (TimeUUID.text(sid), CompactID(sid)) }

    /// An id as a client sent it, parsed once: the text to store (a UUID in lower case, anything
    /// else as it came) and the map's form of it. Each id was parsed three times per hit:
    /// normalised, then made a key, then kept as an entry.
    struct SentID {
        let text: String
        let compact: CompactID

        /// Normalised: an upper-case UUID becomes its lower-case text.
        init(normalising raw: String) {
            var upperCase = false
            if let uuid = TimeUUID.parse(raw, upperCase: &upperCase) {
                text = upperCase ? TimeUUID.text(uuid) : raw
                compact = CompactID(uuid)
            } else {
                text = raw
                compact = .text(raw)
            }
        }

        /// A UUID (a `uid` that stitches identity).
        init(_ uuid: UUID) {
            text = TimeUUID.text(uuid)
            compact = CompactID(uuid)
        }

        /// Kept exactly as given.
        init(exactly raw: String) {
            text = raw
            compact = CompactID(raw)
        }
    }

    /// The first session of a visitor with this UUIDv7 id on this site: the id's time (so that
    /// sessions sort as their visitors do), and bits derived from its random ones and the site.
    /// A fixed function, so that every node and every restart derive the same id.
    static func firstSession(of vid: UUID, site: String) -> UUID {
        var siteHash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in site.utf8 { siteHash = (siteHash ^ UInt64(byte)) &* 0x0100_0000_01B3 }
        var bytes = vid.uuid
        withUnsafeMutableBytes(of: &bytes) { raw in
            // SplitMix64's finaliser: every bit of the visitor's random part moves about half of these.
            var mixed = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) ^ siteHash
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            mixed ^= mixed >> 31
            raw.storeBytes(of: (mixed & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000).bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return UUID(uuid: bytes)
    }

    /// For a UUIDv7 visitor with no entry: its first session, if the id was minted less than
    /// the timeout ago (its session, derived when it was minted, is then still active).
    func firstSessionIfActive(_ key: Key, at now: Date) -> (String, CompactID)? {
        guard let vid = key.vid.uuid, TimeUUID.version(of: vid) == 7, let minted = TimeUUID.timestamp(of: vid),
              abs(now.timeIntervalSince(minted)) < timeout else { return nil }
        return Self.both(Self.firstSession(of: vid, site: key.site))
    }

    func session(_ key: Key, clientSID: SentID?, at now: Date, newVisitor: Bool, mint: () -> (String, CompactID)) -> String {
        let epoch = epoch(at: now)
        var dropped: Dropped = ([:], [:])
        defer { release(dropped) }
        return shard(key).state.withLock { state in
            dropped = rotateIfDue(&state, epoch: epoch)
            if newVisitor {
                if let clientSID {
                    state.current[key] = Entry(id: clientSID.compact, lastSeen: now)
                    return clientSID.text
                }
                let (sid, id) = mint()
                state.current[key] = Entry(id: id, lastSeen: now)
                return sid
            }
            // Returning visitors are mostly in `current`: found and updated with one hashing.
            if let index = state.current.index(forKey: key) {
                let entry = state.current.values[index]
                if clientSID == nil, now.timeIntervalSince(entry.lastSeen) < timeout {
                    state.current.values[index].lastSeen = max(now, entry.lastSeen)
                    return entry.sid
                }
                let (sid, id) = clientSID.map { ($0.text, $0.compact) } ?? mint()
                state.current.values[index] = Entry(id: id, lastSeen: max(now, entry.lastSeen))
                return sid
            }
            let old = state.previous.isEmpty ? nil : state.previous.removeValue(forKey: key)
            let active = old.flatMap { now.timeIntervalSince($0.lastSeen) < timeout ? ($0.sid, $0.id) : nil }
            let (sid, id) = clientSID.map { ($0.text, $0.compact) } ?? active
                ?? (old == nil ? firstSessionIfActive(key, at: now) : nil) ?? mint()
            state.current[key] = Entry(id: id, lastSeen: max(now, old?.lastSeen ?? now))
            return sid
        }
    }

    /// Restores sessions that were active before a restart (read from the store at start).
    public func seed(site: String, vid: String, sid: String, lastSeen: Date) {
        let key = Key(site: site, vid: vid)
        let epoch = epoch(at: lastSeen)
        let dropped = shard(key).state.withLock { state in
            defer { state.current[key] = Entry(sid: sid, lastSeen: lastSeen) }
            return rotateIfDue(&state, epoch: epoch)
        }
        release(dropped)
    }

    /// Visitors remembered, every shard first caught up with the generations.
    public var count: Int {
        let epoch = generations.withLock { $0.epoch }
        return shards.reduce(0) { total, shard in
            let (dropped, count) = shard.state.withLock { state in
                (rotateIfDue(&state, epoch: epoch), state.current.count + state.previous.count)
            }
            release(dropped)
            return total + count
        }
    }

    /// The generation number at `now`, advanced when `timeout` has passed since it last was.
    func epoch(at now: Date) -> Int {
        generations.withLock { generations in
            guard let rotated = generations.rotated else {
                generations.rotated = now
                return generations.epoch
            }
            if now.timeIntervalSince(rotated) >= timeout {
                generations.rotated = now
                generations.epoch += 1
            }
            return generations.epoch
        }
    }

    /// Up to two generations dropped at once (empty maps own no memory).
    typealias Dropped = ([Key: Entry], [Key: Entry])

    /// Catches the shard up with the generations, or rotates it early when `current` is full.
    func rotateIfDue(_ state: inout State, epoch: Int) -> Dropped {
        // Sized like the generation before: growing to hundreds of thousands of entries rehashed
        // everything at each doubling, on the event loop and under the lock.
        func fresh(like generation: [Key: Entry]) -> [Key: Entry] {
            Dictionary(minimumCapacity: min(generation.count, generationLimit))
        }
        if epoch >= state.epoch + 2 {
            // Not touched for two turnovers: nothing it holds is still active.
            defer { state.previous = [:]; state.current = fresh(like: state.current); state.epoch = epoch }
            return (state.previous, state.current)
        }
        guard epoch > state.epoch || state.current.count >= generationLimit else { return ([:], [:]) }
        defer { state.previous = state.current; state.current = fresh(like: state.current); state.epoch = max(epoch, state.epoch) }
        return (state.previous, [:])
    }

    /// Freeing up to half a million entries takes a while: not on the event loop, not in the lock.
    func release(_ dropped: Dropped) {
        guard !dropped.0.isEmpty || !dropped.1.isEmpty else { return }
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(dropped) {} }
    }
}
