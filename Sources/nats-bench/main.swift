import Foundation
import NATSClient

// Throughput of the NATS client, for bench/nats.sh:
//   nats-bench URL core COUNT SIZE      core publishes as fast as the client takes them, then a flush
//   nats-bench URL jetstream COUNT SIZE INFLIGHT   acknowledged JetStream publishes, INFLIGHT at a time
let arguments = CommandLine.arguments
guard arguments.count >= 5, let count = Int(arguments[3]), let size = Int(arguments[4]) else {
    print("usage: nats-bench URL core|jetstream COUNT SIZE [INFLIGHT]")
    exit(2)
}
var options = NATSOptions(servers: [arguments[1]])
options.pendingBytesLimit = 256 << 20
let nats = try await NATSConnection.connect(options)
let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
let started = ContinuousClock.now
switch arguments[2] {
case "core":
    var sent = 0
    while sent < count {
        do {
            try nats.publish("bench.core", payload: payload)
            sent += 1
        } catch NATSError.bufferFull {
            try await nats.flush(timeout: .seconds(30))
        }
    }
    try await nats.flush(timeout: .seconds(60))
case "jetstream":
    let inflight = arguments.count > 5 ? Int(arguments[5]) ?? 32 : 32
    let js = JetStream(nats, timeout: .seconds(30))
    var stream = JetStream.StreamConfig(name: "BENCH", subjects: ["bench.js"])
    stream.storage = "file"
    _ = try await js.addOrUpdateStream(stream)
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<inflight {
            group.addTask {
                var i = worker
                while i < count {
                    _ = try await js.publish("bench.js", payload: payload, messageID: "m\(i)")
                    i += inflight
                }
            }
        }
        try await group.waitForAll()
    }
default:
    print("unknown mode \(arguments[2])")
    exit(2)
}
let elapsed = ContinuousClock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(String(format: "%.0f msgs/s (%d in %.2f s)", Double(count) / seconds, count, seconds))
await nats.close()
