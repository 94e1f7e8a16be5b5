import Synchronization

/// One named limit applied to many keys (client addresses, API keys), with memory bounded by
/// `maxKeys`: idle keys (full buckets) are dropped first; when a flood of distinct keys still
/// exceeds the bound, the keys closest to idle are forgotten, which can only let a request through
/// that would have been refused, never refuse one that would have passed.
public final class RateLimiter: Sendable {
    public let name: String
    public let gcra: GCRA
    public let maxKeys: Int
    let tats = Mutex<[String: Double]>([:])

    public init(name: String, gcra: GCRA, maxKeys: Int = 100_000) {
        self.name = name
        self.gcra = gcra
        self.maxKeys = maxKeys
    }

    public func check(_ key: String, now: Double) -> GCRA.Decision {
        tats.withLock { tats in
            let decision = gcra.decide(tat: tats[key], now: now)
            if decision.allowed {
                tats[key] = decision.tat
                if tats.count > maxKeys { prune(&tats, now: now) }
            }
            return decision
        }
    }

    public var keyCount: Int { tats.withLock { $0.count } }

    func prune(_ tats: inout [String: Double], now: Double) {
        tats = tats.filter { !gcra.isIdle(tat: $0.value, now: now) }
        guard tats.count > maxKeys * 3 / 4 else { return }
        let keep = tats.sorted { $0.value > $1.value }.prefix(maxKeys / 2)
        tats = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }
}
