import Foundation
import Synchronization

/// Clients on their own threads posting server events as fast as they can, remembering the id of
/// every event the server acknowledged; for tests that kill or stop the server mid-burst.
public final class RequestBurst: Sendable {
    let acknowledged = Mutex<[String]>([])
    let stopping = Atomic<Bool>(false)
    let finished = Atomic<Int>(0)
    let clients: Int

    public init(port: Int, clients: Int = 8, ename: String) {
        self.clients = clients
        for worker in 0..<clients {
            Thread.detachNewThread { [self] in
                let client = HTTPTestClient(port: port)
                var n = 0
                while !stopping.load(ordering: .relaxed) {
                    n += 1
                    let body = #"{"ename":"\#(ename)","worker":\#(worker),"n":\#(n)}"#
                    guard let response = try? client.post("/str/v1/", body: body), response.status == 200,
                          let eid = response.json?["eid"] as? String else {
                        // Refused or unreachable: try again soon, without spinning a core.
                        Thread.sleep(forTimeInterval: 0.002)
                        continue
                    }
                    acknowledged.withLock { $0.append(eid) }
                }
                finished.wrappingAdd(1, ordering: .relaxed)
            }
        }
    }

    public var count: Int { acknowledged.withLock { $0.count } }

    /// Waits until `count` events were acknowledged (or 3 s passed).
    public func waitFor(_ count: Int) async throws {
        for _ in 0..<300 where self.count < count {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the clients and returns every acknowledged event id.
    public func stop() async throws -> [String] {
        stopping.store(true, ordering: .relaxed)
        while finished.load(ordering: .relaxed) < clients {
            try await Task.sleep(for: .milliseconds(10))
        }
        return acknowledged.withLock { $0 }
    }
}
