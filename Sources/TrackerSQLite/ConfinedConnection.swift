import Dispatch
import Foundation
import TrackerCore
import TrackerStorage

/// A connection that is only ever touched on its own serial queue: that confinement is what makes
/// it safe to share (`@unchecked Sendable`). SQLite calls block, so they must not run on the event
/// loops or the cooperative pool; each connection gets its own thread through its queue.
final class ConfinedConnection: @unchecked Sendable {
    private let queue: DispatchQueue
    private let connection: SQLiteConnection

    init(path: String, label: String, coalescingLog: Bool = false,
         setup: (SQLiteConnection) throws(StorageError) -> Void) throws(StorageError) {
        queue = DispatchQueue(label: label)
        let connection = try SQLiteConnection(path: path, coalescingLog: coalescingLog)
        try setup(connection)
        self.connection = connection
    }

    func run<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws(StorageError) -> T) async throws(StorageError) -> T {
        let result: Result<T, StorageError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(StorageError) -> T in try work(self.connection) })
            }
        }
        return try result.get()
    }

    func runSync<T>(_ work: (SQLiteConnection) throws(StorageError) -> T) throws(StorageError) -> T {
        let result: Result<T, StorageError> = queue.sync {
            Result { () throws(StorageError) -> T in try work(connection) }
        }
        return try result.get()
    }
}
