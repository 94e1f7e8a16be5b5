import Foundation

/// Three nats-servers routed into one cluster with JetStream, on free ports, each killable and
/// restartable on its own store.
public final class NATSClusterProcess: @unchecked Sendable {
    public struct Node {
        public let name: String
        public let port: Int
        public let clusterPort: Int
        public let monitorPort: Int
    }

    public let directory = TemporaryDirectory("nats-cluster")
    public let nodes: [Node]
    var processes: [ChildProcess?]

    public init(size: Int = 3) throws {
        nodes = try (1...size).map { Node(name: "n\($0)", port: try FreePort.next(), clusterPort: try FreePort.next(),
                                         monitorPort: try FreePort.next()) }
        processes = Array(repeating: nil, count: size)
        let routes = nodes.map { "nats-route://127.0.0.1:\($0.clusterPort)" }.joined(separator: ", ")
        for node in nodes {
            try FileManager.default.createDirectory(atPath: directory.file(node.name + "/js"), withIntermediateDirectories: true)
            try """
                server_name: \(node.name)
                listen: 127.0.0.1:\(node.port)
                http: 127.0.0.1:\(node.monitorPort)
                jetstream { store_dir: "\(directory.file(node.name + "/js"))", max_mem: 64MB, max_file: 1GB }
                cluster { name: c1, listen: 127.0.0.1:\(node.clusterPort), routes: [ \(routes) ] }
                """.write(toFile: directory.file(node.name + ".conf"), atomically: true, encoding: .utf8)
        }
    }

    public var urls: [String] { nodes.map { "nats://127.0.0.1:\($0.port)" } }

    /// Starts every node, then waits until JetStream has a meta leader (30 s at most).
    public func start() async throws {
        for index in nodes.indices { try startNode(index) }
        for _ in 0..<600 {
            if leaderSeesEveryPeer() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Shell.Failure(description: "the NATS cluster has no JetStream leader that sees every peer")
    }

    /// Only the leader's own `/jsz` knows whether its peers are current: a stream's three
    /// replicas can be placed once both are.
    func leaderSeesEveryPeer() -> Bool {
        for node in nodes {
            guard let answer = try? Shell.run("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(node.monitorPort)/jsz"]),
                  let json = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any],
                  let meta = json["meta_cluster"] as? [String: Any], meta["leader"] as? String == node.name else { continue }
            let replicas = (meta["replicas"] as? [[String: Any]]) ?? []
            return replicas.count == nodes.count - 1 && replicas.allSatisfy { $0["current"] as? Bool == true }
        }
        return false
    }

    public func startNode(_ index: Int) throws {
        let node = nodes[index]
        processes[index] = try ChildProcess(NATSServerProcess.binary, ["-c", directory.file(node.name + ".conf")],
                                            stdout: directory.file(node.name + ".log"), stderr: directory.file(node.name + ".err"))
    }

    /// SIGKILL, as a crashed machine.
    public func kill(_ index: Int) {
        guard let process = processes[index] else { return }
        process.signal(SIGKILL)
        _ = process.wait()
        processes[index] = nil
    }

    public func stop() {
        for index in nodes.indices { kill(index) }
    }

    deinit {
        stop()
        directory.remove()
    }
}
