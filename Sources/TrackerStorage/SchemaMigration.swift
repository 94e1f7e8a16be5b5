/// One numbered, forward-only migration of a backend (its `Migrations/NNNN_name.sql`).
public struct SchemaMigration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: [UInt8]) {
        self.version = version
        self.name = name
        self.sql = String(decoding: sql, as: UTF8.self)
    }
}
