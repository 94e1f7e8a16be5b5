import Dispatch
import NIOCore
import NIOSSL
import Synchronization
import TrackerConfig

/// A configured route with its live pool of upstreams.
public final class ProxyRoute: Sendable {
    public let configuration: ProxyRouteConfiguration
    public let upstreams: [Upstream]
    let next = Atomic<Int>(0)
    /// For https upstreams; built once, shared by every connection.
    let tls: NIOSSLContext?

    public init(_ configuration: ProxyRouteConfiguration) throws {
        self.configuration = configuration
        upstreams = configuration.upstreams.map {
            Upstream(address: $0, maxFails: configuration.maxFails, failTimeout: configuration.failTimeoutSeconds)
        }
        if configuration.upstreams.contains(where: \.tls) {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if let file = configuration.caCertificateFile {
                tlsConfiguration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            }
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        } else {
            tls = nil
        }
    }

    public var name: String { configuration.name }

    /// Seconds on a monotonic clock, for ejection windows.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The upstream for the next request among those available and not yet tried for it. When
    /// every one is ejected, the one whose ejection ends first is tried rather than none (nginx
    /// does the same when all servers are marked failed), unless active checks say all are down.
    func pick(excluding tried: [Upstream], now: Double = ProxyRoute.now()) -> Upstream? {
        let count = upstreams.count
        let turn = Int(UInt(bitPattern: next.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(count))
        var chosen: Upstream?
        var fewest = Int.max
        for step in 0..<count {
            let upstream = upstreams[(turn + step) % count]
            guard upstream.isAvailable(now: now), !tried.contains(where: { $0 === upstream }) else { continue }
            if configuration.balance == .roundRobin { return upstream }
            // Least connections; ties go to the first after the rotating start, so equals share.
            let load = upstream.requestsInFlight
            if load < fewest { (chosen, fewest) = (upstream, load) }
        }
        if let chosen { return chosen }
        return upstreams.filter { upstream in !upstream.isActiveDown && !tried.contains { $0 === upstream } }
            .min { $0.ejectedUntil < $1.ejectedUntil }
    }

    /// Exact hosts outrank wildcards, longer wildcards outrank shorter, any-host routes come last;
    /// among equals the longer path prefix wins, then the order in the configuration.
    func hostRank(_ host: String) -> Int? {
        guard !configuration.hosts.isEmpty else { return 0 }
        var best: Int?
        for pattern in configuration.hosts {
            if pattern == host { return Int.max }
            if pattern.hasPrefix("*."), host.hasSuffix(pattern.dropFirst()), host.count > pattern.count - 1 {
                best = max(best ?? 0, pattern.count)
            }
        }
        return best
    }

    func matchesPath(_ path: String) -> Bool {
        let prefix = configuration.pathPrefix
        if path.hasPrefix(prefix) { return true }
        // `/api/` also takes `/api` itself.
        return prefix.hasSuffix("/") && path == prefix.dropLast()
    }
}

/// Every route, tried in precedence order (see `ProxyRoute.hostRank`).
public struct ProxyTable: Sendable {
    public let routes: [ProxyRoute]

    public init(_ routes: [ProxyRoute]) {
        self.routes = routes
    }

    public var isEmpty: Bool { routes.isEmpty }

    public func match(host: String, path: String) -> ProxyRoute? {
        var best: (route: ProxyRoute, rank: Int, prefix: Int)?
        for route in routes {
            guard let rank = route.hostRank(host), route.matchesPath(path) else { continue }
            let prefix = route.configuration.pathPrefix.count
            if let current = best, (current.rank, current.prefix) >= (rank, prefix) { continue }
            best = (route, rank, prefix)
        }
        return best?.route
    }

    public func shutdown() {
        routes.forEach { $0.upstreams.forEach { $0.closeIdle() } }
    }
}
