import Synchronization

/// Upstream's `ProxyDailyLimit`: each client's tracked (non-server) events are counted per UTC
/// day, and a client past the limit gets 429 from the proxy routes until midnight. Upstream failed
/// open when its counter store could not answer (§18.12); this one fails closed: when the table
/// of clients is full (a flood of distinct addresses), clients it does not know are refused
/// rather than let through uncounted. Memory is bounded by `maxKeys`; the table empties at midnight.
public final class DailyQuota: Sendable {
    public let limit: Int
    public let maxKeys: Int
    let state = Mutex(State())

    struct State {
        var day = -1
        var counts: [String: Int] = [:]
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        /// Over the limit; seconds until the next UTC day.
        case exceeded(retryAfter: Int)
        /// The client table is full and this client is not in it.
        case unavailable(retryAfter: Int)
    }

    public init(limit: Int, maxKeys: Int = 1_000_000) {
        self.limit = limit
        self.maxKeys = maxKeys
    }

    static func day(_ epochSeconds: Double) -> Int { Int((epochSeconds / 86_400).rounded(.down)) }

    static func untilMidnight(_ epochSeconds: Double) -> Int {
        max(1, Int((Double(day(epochSeconds) + 1) * 86_400 - epochSeconds).rounded(.up)))
    }

    /// Counts `events` tracked for `client` at `now` (seconds since 1970).
    public func count(_ client: String, events: Int = 1, now: Double) {
        state.withLock { state in
            roll(&state, now)
            if state.counts[client] == nil, state.counts.count >= maxKeys { return }
            state.counts[client, default: 0] += events
        }
    }

    public func check(_ client: String, now: Double) -> Verdict {
        state.withLock { state in
            roll(&state, now)
            guard let count = state.counts[client] else {
                return state.counts.count >= maxKeys ? .unavailable(retryAfter: Self.untilMidnight(now)) : .allowed
            }
            return count > limit ? .exceeded(retryAfter: Self.untilMidnight(now)) : .allowed
        }
    }

    func roll(_ state: inout State, _ now: Double) {
        let today = Self.day(now)
        if today != state.day {
            state.day = today
            state.counts.removeAll()
        }
    }
}
