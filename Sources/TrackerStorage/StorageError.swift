/// The one error type of every storage backend; driver errors never leak past a backend.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The backend cannot be reached or is shutting down; retrying later may succeed.
    case unavailable(String)
    /// The disk or a quota is full.
    case full(String)
    /// The ingest queue holds as much as it may; the client should retry later.
    case overloaded(String)
    /// The request itself is wrong (bad query, bad data); retrying will not help.
    case invalid(String)

    public var description: String {
        switch self {
        case .unavailable(let m): return "storage unavailable: \(m)"
        case .full(let m): return "storage full: \(m)"
        case .overloaded(let m): return "ingest queue full: \(m)"
        case .invalid(let m): return "invalid storage request: \(m)"
        }
    }
}
