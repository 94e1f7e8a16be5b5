import CLinux
import Foundation
import Synchronization
import TrackerStorage

/// Makes committed transactions durable by syncing the write-ahead log file, apart from the
/// commit itself.
///
/// With `synchronous=FULL` each COMMIT waited for its own fsync, and while it waited the writer
/// could not start the next transaction: on the benchmark a sixth of the CPU sat idle in I/O wait
/// with every connection waiting for an answer. Now the writer commits with
/// `synchronous=NORMAL` (no fsync; the log's frames are written, in order) and this syncs the log
/// file afterwards, on another thread, while the writer already commits the next batch. A
/// transaction whose COMMIT returned before `sync` was called is durable when `sync` returns: its
/// frames were in the file, and fdatasync covers everything written to the file before it. What a
/// checkpoint copied out of the log, SQLite itself synced into the database file first.
final class WALSync: Sendable {
    let logPath: String
    let directory: String
    /// The open log file and its inode: SQLite removes the log when the last connection closes
    /// and makes a new one after, so a changed inode means opening it again.
    private let file = Mutex<(descriptor: Int32, inode: UInt64)>((-1, 0))

    init(databasePath: String) {
        logPath = databasePath + "-wal"
        directory = (databasePath as NSString).deletingLastPathComponent.isEmpty
            ? "." : (databasePath as NSString).deletingLastPathComponent
    }

    /// The log file open now (0: none yet).
    var openInode: UInt64 { file.withLock { $0.inode } }

    deinit {
        file.withLock { if $0.descriptor >= 0 { close($0.descriptor) } }
    }

    func sync() throws(StorageError) {
        try file.withLock { (file) throws(StorageError) in
            // Only the inode is asked for: a full stat() made every fdatasync write the inode too
            // (`clinux_inode_of`): 50–70 µs more per fdatasync of 140 KB here.
            var current: UInt64 = 0
            guard clinux_inode_of(logPath, &current) == 0 else { throw Self.failure("the write-ahead log \(logPath) is missing") }
            if file.descriptor < 0 || current != file.inode {
                var status = stat()
                if file.descriptor >= 0 { close(file.descriptor) }
                file = (-1, 0)
                let descriptor = open(logPath, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw Self.failure("cannot open the write-ahead log \(logPath)") }
                guard fstat(descriptor, &status) == 0 else {
                    close(descriptor)
                    throw Self.failure("cannot read the write-ahead log \(logPath)")
                }
                // A new log file's name must reach the disk as well as its frames.
                let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if folder >= 0 {
                    fsync(folder)
                    close(folder)
                }
                file = (descriptor, UInt64(status.st_ino))
            }
            guard fdatasync(file.descriptor) == 0 else { throw Self.failure("fsync of the write-ahead log failed") }
        }
    }

    /// A full disk is told apart (it can surface at fsync with delayed allocation).
    static func failure(_ message: String) -> StorageError {
        let code = errno
        let text = "\(message): \(String(cString: strerror(code)))"
        return code == ENOSPC || code == EDQUOT ? .full(text) : .unavailable(text)
    }
}
