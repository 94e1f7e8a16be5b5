import Foundation
import SQLite3
import TrackerCore
import TrackerStorage

/// The text values of one row, gathered in one reusable buffer and bound without copies.
///
/// Bound one by one as SQLITE_TRANSIENT, each value was copied into a fresh allocation that
/// `sqlite3_clear_bindings` freed again: a malloc, a copy and a free for each of the twenty-odd
/// text columns of every stored event, and the params JSON was made as a String first only to be
/// copied once more. Here the values are appended to one buffer that keeps its capacity from row
/// to row and bound as SQLITE_STATIC, which SQLite may read only until the statement is reset:
/// `step` resets before the buffer can change. A class: one per writer connection, used on its
/// queue only.
final class BoundText {
    private var bytes: [UInt8] = []
    private var spans: [(parameter: Int32, start: Int, count: Int)] = []

    init() {
        bytes.reserveCapacity(4096)
        spans.reserveCapacity(64)
    }

    func add(_ parameter: Int32, _ text: String) {
        let start = bytes.count
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        spans.append((parameter, start, bytes.count - start))
    }

    /// Nothing for nil: a parameter not bound is NULL (bindings are cleared at each reset).
    func add(_ parameter: Int32, _ text: String?) {
        if let text { add(parameter, text) }
    }

    /// A time as `Timestamp.format` writes it, without making a String of it. The last one is
    /// kept: a new visitor's row and rollups bind the same millisecond five times, and a batch's
    /// events mostly share their milliseconds.
    func add(_ parameter: Int32, _ date: Date) {
        let milliseconds = Timestamp.milliseconds(date)
        if milliseconds != lastTime.milliseconds {
            lastTime.text.removeAll(keepingCapacity: true)
            Timestamp.append(date, to: &lastTime.text)
            lastTime.milliseconds = milliseconds
        }
        let start = bytes.count
        bytes.append(contentsOf: lastTime.text)
        spans.append((parameter, start, lastTime.text.count))
    }

    private var lastTime: (milliseconds: Int64, text: [UInt8]) = (.min, [])

    /// A value written straight into the buffer (JSON, for one).
    func add(_ parameter: Int32, writing write: (inout [UInt8]) -> Void) {
        let start = bytes.count
        write(&bytes)
        spans.append((parameter, start, bytes.count - start))
    }

    /// Binds the gathered values, runs the statement once, resets it and empties the buffer. The
    /// statement's other parameters are bound by the caller beforehand.
    func step(_ statement: SQLiteStatement) throws(StorageError) -> Bool {
        defer {
            bytes.removeAll(keepingCapacity: true)
            spans.removeAll(keepingCapacity: true)
        }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(StorageError) -> Bool in
            defer { statement.reset() }
            for span in spans {
                // An empty value still needs a non-null pointer: a null one would bind NULL.
                guard span.count > 0, let base = buffer.baseAddress else {
                    statement.bind(span.parameter, "")
                    continue
                }
                statement.bindStatic(span.parameter, base + span.start, count: span.count)
            }
            return try statement.step()
        }
    }
}
