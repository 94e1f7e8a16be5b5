import Foundation
import TrackerClickHouse
import TrackerCore
import TrackerPostgres
import TrackerSQLite
import TrackerStorage

// Loads the benchmark data set into a store the way one tracker node delivers (batches one after
// another, the node's batch size for that store) and prints events/s and the CPU this process
// used per wall second. For bench/storage.sh:
//   store-bench sqlite PATH COUNT | postgres URL COUNT | clickhouse URL COUNT
let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]) else {
    print("usage: store-bench sqlite|postgres|clickhouse PATH-or-URL COUNT")
    exit(2)
}
let end = Timestamp.truncated(Date())

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func load(_ sink: any EventSink, batch: Int) async throws {
    var dataset = Dataset(count: count, end: end)
    var generating = 0.0
    let cpu0 = cpuSeconds()
    let started = ContinuousClock.now
    var index = 0
    while index < count {
        let made = ContinuousClock.now
        let events = dataset.batch(batch, from: index)
        let madeIn = ContinuousClock.now - made
        generating += Double(madeIn.components.seconds) + Double(madeIn.components.attoseconds) / 1e18
        try await sink.append(events)
        index += events.count
    }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let storing = seconds - generating
    let cpu = cpuSeconds() - cpu0
    print(String(format: "%d events in %.1f s: %.0f events/s stored (generation excluded: %.1f s), node CPU %.2f cores",
                 count, seconds, Double(count) / storing, generating, cpu / seconds))
}

switch arguments[1] {
case "sqlite":
    let store = try SQLiteEventStore(path: arguments[2])
    try await load(store, batch: 2000)
    _ = try await store.checkpoint(truncate: true)
case "postgres":
    let store = try PostgresEventStore(url: arguments[2], timeout: .seconds(60))
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await store.run() }
        _ = try await store.migrate()
        try await load(store, batch: 1000)
        group.cancelAll()
    }
case "clickhouse":
    let store = try ClickHouseEventStore(url: arguments[2], timeout: .seconds(120))
    _ = try await store.migrate()
    try await load(store, batch: 10_000)
default:
    print("unknown store \(arguments[1])")
    exit(2)
}
