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
    // Health, read on every request: atomics rather than a lock.
    let failures = Atomic<Int>(0)
    /// Ejected until this uptime in seconds (a Double's bits); a passive ejection ends with a trial.
    let ejectedUntilBits = Atomic<UInt64>(0)
    /// Set by the active check; a failing check keeps the server out until one passes.
    let activeDown = Atomic<Bool>(false)
    let idle = Mutex<[ObjectIdentifier: [UpstreamConnection]]>([:])
    /// Idle connections kept per event loop; more are closed on return.
    static let maxIdlePerLoop = 64

    public init(address: UpstreamAddress, maxFails: Int, failTimeout: Double) {
        self.address = address
        self.maxFails = maxFails
        self.failTimeout = failTimeout
    }

    var ejectedUntil: Double { Double(bitPattern: ejectedUntilBits.load(ordering: .relaxed)) }
    var isActiveDown: Bool { activeDown.load(ordering: .relaxed) }

    public func isAvailable(now: Double) -> Bool {
        !isActiveDown && now >= ejectedUntil
    }

    /// A connection failed, timed out or was reset before answering: after `maxFails` in a row the
    /// server is left out for `failTimeout`, then tried again.
    func recordFailure(now: Double) {
        if failures.wrappingAdd(1, ordering: .relaxed).newValue >= maxFails {
            ejectedUntilBits.store((now + failTimeout).bitPattern, ordering: .relaxed)
        }
    }

    func recordSuccess() {
        guard failures.load(ordering: .relaxed) != 0 else { return }
        failures.store(0, ordering: .relaxed)
        ejectedUntilBits.store(0, ordering: .relaxed)
    }

    func setActiveHealth(up: Bool) {
        activeDown.store(!up, ordering: .relaxed)
        if up { recordSuccess() }
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
