import TrackerStorage

/// One INSERT prepared for several row counts (`VALUES (...), (...), ...`), so that a batch is
/// written with a few statements instead of one per row.
///
/// Each run of a statement opens its cursors on the table and every index, and builds its records
/// in buffers it frees when it halts; a row per run paid that for every event and rollup row.
/// Measured with the system libsqlite3 on the events table and its indexes, 36 rows per commit:
/// one row per statement 7.3–7.7 µs per row, 16 rows per statement 6.0–6.2 µs. Rows go in
/// chunks of the largest prepared size that fits (16, then 4, then 1: at most six statements
/// for a batch of 37).
final class RowChunks {
    static let sizes = [16, 4, 1]
    /// Parameters per row: row `r`'s parameter `k` (1-based) is bound at `r * width + k`.
    let width: Int32
    private let statements: [(rows: Int, statement: SQLiteStatement)]

    /// `head` is the INSERT up to `VALUES`, `tail` what follows the rows (an ON CONFLICT clause).
    init(_ connection: SQLiteConnection, head: String, width: Int, tail: String = "") throws(StorageError) {
        self.width = Int32(width)
        var statements: [(Int, SQLiteStatement)] = []
        for rows in Self.sizes {
            let values = (0..<rows).map { row in
                "(" + (1...width).map { "?\(row * width + $0)" }.joined(separator: ", ") + ")"
            }
            let sql = head + " VALUES " + values.joined(separator: ", ") + (tail.isEmpty ? "" : " " + tail)
            statements.append((rows, try connection.prepare(sql, persistent: true)))
        }
        self.statements = statements
    }

    /// The statement for the next chunk of `remaining` rows, and how many rows it takes.
    func next(_ remaining: Int) -> (rows: Int, statement: SQLiteStatement) {
        statements.first { $0.rows <= remaining } ?? statements[statements.count - 1]
    }

    /// Writes every item, `bind` binding one at a parameter offset (add it to the 1-based
    /// parameter numbers) into `text` or the statement; `done` sees each chunk's items and how
    /// many rows the statement changed. Any collection: the rollups' dictionaries are written
    /// as they are, not listed in an array first.
    func write<Items: Collection>(
        _ items: Items, text: BoundText,
        bind: (Items.Element, _ offset: Int32, SQLiteStatement) -> Void,
        done: (Items.SubSequence, _ changed: Int) throws(StorageError) -> Void = { _, _ in }
    ) throws(StorageError) {
        var start = items.startIndex
        var remaining = items.count
        while remaining > 0 {
            let (rows, statement) = next(remaining)
            var end = start
            for row in 0..<rows {
                bind(items[end], Int32(row) * width, statement)
                items.formIndex(after: &end)
            }
            _ = try text.step(statement)
            try done(items[start..<end], statement.changes)
            start = end
            remaining -= rows
        }
    }
}
