import Foundation
import NATSClient

/// Helpers of the NATS tests.
public enum NATSTesting {
    /// nats-py, the reference Python client, is installed.
    public static let pythonClient: Bool = (try? Shell.run("/usr/bin/env", ["python3", "-c", "import nats"])) != nil

    /// The subscription's next message, or nil after `within`.
    public static func next(_ subscription: NATSSubscription, within: Duration = .seconds(5)) async throws -> NATSMessage? {
        try await withThrowingTaskGroup(of: NATSMessage?.self) { group in
            group.addTask {
                var iterator = subscription.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: within)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
