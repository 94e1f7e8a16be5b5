import Foundation
import TrackerStorage

/// `postgres://user:password@host:port/database` (or `postgresql://`; password and port optional).
struct PostgresAddress: Sendable {
    let host: String
    let port: Int
    let user: String
    let password: String?
    let database: String?

    init(_ url: String) throws(StorageError) {
        guard let parts = URLComponents(string: url), ["postgres", "postgresql"].contains(parts.scheme ?? ""),
              let host = parts.host, !host.isEmpty, let user = parts.user else {
            throw .invalid("expected postgres://user:password@host:port/database, got \(url)")
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.user = user
        self.password = parts.password
        self.database = parts.path.count > 1 ? String(parts.path.dropFirst()) : nil
    }
}
