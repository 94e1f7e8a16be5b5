import Foundation
import TrackerCore
import TrackerStorage
import SQLite3
import CSQLiteWAL

/// A thin owner of one `sqlite3*`. Not thread-safe by design: `SQLiteEventStore` confines each
/// connection to one serial queue.
final class SQLiteConnection {
    let handle: OpaquePointer
    let path: String

    /// The VFS that writes a commit's log frames in one call (CSQLiteWAL), registered once; nil
    /// if it could not be (the platform's VFS is then used).
    static let coalescingVFS: String? = tracker_wal_vfs_register() == SQLITE_OK ? TRACKER_WAL_VFS_NAME : nil

    /// `coalescingLog`: for the connection that writes (see `coalescingVFS`); readers need not.
    init(path: String, coalescingLog: Bool = false) throws(StorageError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, coalescingLog ? Self.coalescingVFS : nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "code \(code)"
            if let db { sqlite3_close(db) }
            throw .unavailable("cannot open \(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    func execute(_ sql: String) throws(StorageError) {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        guard code == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "code \(code)"
            sqlite3_free(error)
            throw Self.storageError(code, message)
        }
    }

    /// Rows changed by the last statement (0 for an ignored duplicate).
    var changes: Int { Int(sqlite3_changes(handle)) }

    func prepare(_ sql: String, persistent: Bool = false) throws(StorageError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sqlite3_prepare_v3(handle, sql, -1, flags, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        return SQLiteStatement(statement, connection: self)
    }

    func failure(_ code: Int32) -> StorageError {
        Self.storageError(code, String(cString: sqlite3_errmsg(handle)))
    }

    /// A full disk is its own case: the operator must act, and `/health` says so.
    static func storageError(_ code: Int32, _ message: String) -> StorageError {
        switch code & 0xFF {
        case SQLITE_FULL: return .full(message)
        case SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_READONLY: return .unavailable(message)
        default: return .invalid(message)
        }
    }
}

/// A prepared statement; columns and parameters are 1-based for binds, 0-based for reads, as in C.
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// With its length, from the string's own UTF-8: passing a String as a C string made a
    /// NUL-terminated copy of every small one, SQLite then measured it, and a value holding a
    /// NUL was cut there.
    func bind(_ index: Int32, _ text: String?) {
        guard var text else { sqlite3_bind_null(handle, index); return }
        guard !text.isEmpty else { sqlite3_bind_text(handle, index, "", 0, Self.transient); return }
        text.withUTF8 { bytes in
            _ = bytes.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, index, chars.baseAddress, Int32(chars.count), Self.transient)
            }
        }
    }

    /// Text SQLite reads in place until the statement is reset (see `BoundText`).
    func bindStatic(_ index: Int32, _ text: UnsafePointer<UInt8>, count: Int) {
        text.withMemoryRebound(to: CChar.self, capacity: count) {
            _ = sqlite3_bind_text(handle, index, $0, Int32(count), nil)
        }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Double?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        sqlite3_bind_double(handle, index, value)
    }

    /// true while a row is available.
    func step() throws(StorageError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(code)
        }
    }

    /// Rows changed by the statement's last run (ignored duplicates not counted).
    var changes: Int { Int(sqlite3_changes(sqlite3_db_handle(handle))) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(handle, column) != SQLITE_NULL, let p = sqlite3_column_text(handle, column) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
    }

    func int64(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32) -> Double? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_double(handle, column)
    }
}
