import Foundation
import TrackerCore
import TrackerStorage
import TrackerTLS

/// `/status` (what this node is doing) and `/health` (can it take events: 503 when not).
extension TrackerApplication {
    func status(_ request: HTTPRequest) -> HTTPResponse {
        let stats = ingest.stats
        var drops: [String: JSONValue] = [:]
        for (reason, count) in self.drops.snapshot { drops[reason.rawValue] = .number(Double(count)) }
        let client = clientIP(request)
        var fields: [String: JSONValue] = [
            "version": .string(settings.version),
            "uptime_seconds": .number(Date().timeIntervalSince(started).rounded()),
            "client": client.map { .string($0) } ?? .null,
            "conns": .number(Double(limiter.current)),
            "max_conns": .number(Double(limiter.limit)),
            "accepted_events": .number(Double(self.drops.acceptedCount)),
            "dropped_events": .object(drops),
            "spool": ingestJSON(stats),
            "sinks": .array(sinksJSON(stats)),
        ]
        for (name, section) in statusSections { fields[name] = section() }
        return .json(.ok, JSONWriter.serialize(.object(fields)))
    }

    func health() -> HTTPResponse {
        let stats = ingest.stats
        let problem = healthProblem(stats)
        var fields: [String: JSONValue] = [
            "status": .string(problem == nil ? "ok" : "unavailable"),
            "version": .string(settings.version),
            "uptime_seconds": .number(Date().timeIntervalSince(started).rounded()),
            "problem": problem.map { .string($0) } ?? .null,
            "spool": ingestJSON(stats),
            "sinks": .array(sinksJSON(stats)),
            "certificates": certificates.map { .array(certificatesJSON($0)) } ?? .null,
        ]
        for (name, section) in statusSections { fields[name] = section() }
        var response = HTTPResponse.json(problem == nil ? .ok : .serviceUnavailable, JSONWriter.serialize(.object(fields)))
        if problem != nil { response.headers.add(name: "retry-after", value: "5") }
        return response
    }

    /// Each certificate: what it covers, until when, and how its renewal goes. A failing renewal
    /// does not make the node unhealthy (it still takes events); it shows here.
    func certificatesJSON(_ store: CertificateStore) -> [JSONValue] {
        let formatter = ISO8601DateFormatter()
        return store.entries.map { entry in
            let state: String
            if entry.key == nil { state = entry.lastError == nil ? "obtaining" : "missing" }
            else if entry.renewing { state = "renewing" }
            else { state = entry.lastError == nil ? "ok" : "renewal_failing" }
            var fields: [String: JSONValue] = [:]
            fields["id"] = .string(entry.id)
            fields["source"] = .string(entry.source)
            fields["names"] = .array((entry.key?.names ?? entry.names).map { JSONValue.string($0) })
            fields["state"] = .string(state)
            fields["not_after"] = entry.key.map { JSONValue.string(formatter.string(from: $0.notAfter)) } ?? .null
            fields["next_renewal"] = entry.nextRenewal.map { JSONValue.string(formatter.string(from: $0)) } ?? .null
            fields["last_error"] = entry.lastError.map { JSONValue.string($0) } ?? .null
            return JSONValue.object(fields)
        }
    }

    func healthProblem(_ stats: IngestStats) -> String? {
        if ingest.isClosed { return "shutting down" }
        if stats.consecutiveFailures > 0 { return "the last \(stats.consecutiveFailures) commits failed" }
        if stats.depth >= ingest.maxPendingEvents * 9 / 10 { return "the ingest queue is nearly full" }
        return nil
    }

    func ingestJSON(_ stats: IngestStats) -> JSONValue {
        .object([
            "depth": .number(Double(stats.depth)),
            "capacity": .number(Double(ingest.maxPendingEvents)),
            "committed_events": .number(Double(stats.committedEvents)),
            "commits": .number(Double(stats.commits)),
            "failed_commits": .number(Double(stats.failedCommits)),
            "refused_events": .number(Double(stats.refused)),
            "throttled_submits": .number(Double(stats.throttled)),
            "last_commit_ms": .number((stats.lastCommitMilliseconds * 1000).rounded() / 1000),
        ])
    }

    /// In the embedded setup the store is the spool: its lag is the queue depth. A remote store
    /// is fed from the spool: its lag is what waits there.
    func sinksJSON(_ stats: IngestStats) -> [JSONValue] {
        guard !deliveries.isEmpty else {
            return [.object([
                "name": .string(ingest.sinkName),
                "state": .string(stats.consecutiveFailures > 0 ? "failing" : "ok"),
                "lag_events": .number(Double(stats.depth)),
            ])]
        }
        return deliveries.map { delivery in
            let status = delivery.status
            return .object([
                "name": .string(status.name),
                "state": .string(status.failing ? "failing" : "ok"),
                "lag_bytes": .number(Double(status.pendingBytes)),
                "delivered_events": .number(Double(status.deliveredEvents)),
                "failures": .number(Double(status.failures)),
                "last_error": status.lastError.map { .string($0) } ?? .null,
            ])
        }
    }
}
