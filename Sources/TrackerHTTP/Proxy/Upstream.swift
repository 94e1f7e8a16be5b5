import NIOCore
import Synchronization
import TrackerConfig

/// One server of a route's pool: its health (passive and active), the requests in flight to it
/// (for least-connections) and its idle keep-alive connections, kept per event loop so a request
/// reuses a connection that lives on its own thread.
public final class Upstream: Sendable {
    public let address: UpstreamAddress
    let maxFails: Int
    let failTimeout: Double
    let inFlight = Atomic<Int>(0)
    let health = Mutex(Health())
    let idle = Mutex<[ObjectIdentifier: [UpstreamConnection]]>([:])
    /// Idle connections kept per event loop; more are closed on return.
    static let maxIdlePerLoop = 64

    struct Health {
        var consecutiveFailures = 0
        /// Ejected until this uptime (seconds); a passive ejection ends with one trial request.
        var ejectedUntil = 0.0
        /// Set by the active check; a failing check keeps the server out until one passes.
        var activeDown = false
    }

    public init(address: UpstreamAddress, maxFails: Int, failTimeout: Double) {
        self.address = address
        self.maxFails = maxFails
        self.failTimeout = failTimeout
    }

    public func isAvailable(now: Double) -> Bool {
        health.withLock { !$0.activeDown && now >= $0.ejectedUntil }
    }

    /// A connection failed, timed out or was reset before answering: after `maxFails` in a row the
    /// server is left out for `failTimeout`, then tried again.
    func recordFailure(now: Double) {
        health.withLock { h in
            h.consecutiveFailures += 1
            if h.consecutiveFailures >= maxFails { h.ejectedUntil = now + failTimeout }
        }
    }

    func recordSuccess() {
        health.withLock { h in
            h.consecutiveFailures = 0
            h.ejectedUntil = 0
        }
    }

    func setActiveHealth(up: Bool) {
        health.withLock { h in
            h.activeDown = !up
            if up { h.consecutiveFailures = 0; h.ejectedUntil = 0 }
        }
    }

    public var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// An idle connection on this event loop that is still open, if any.
    func takeIdle(on loop: any EventLoop) -> UpstreamConnection? {
        let key = ObjectIdentifier(loop)
        while let connection = idle.withLock({ $0[key]?.popLast() }) {
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    func putIdle(_ connection: UpstreamConnection) {
        let key = ObjectIdentifier(connection.channel.eventLoop)
        let kept = idle.withLock { idle in
            guard idle[key, default: []].count < Self.maxIdlePerLoop else { return false }
            idle[key, default: []].append(connection)
            return true
        }
        if !kept { connection.channel.close(promise: nil) }
    }

    /// Called when an idle connection closes (the upstream hung up, or it idled out).
    func forget(_ connection: UpstreamConnection) {
        let key = ObjectIdentifier(connection.channel.eventLoop)
        idle.withLock { idle in idle[key]?.removeAll { $0 === connection } }
    }

    func closeIdle() {
        let all = idle.withLock { idle in
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        all.forEach { $0.channel.close(promise: nil) }
    }
}
