/// Why a request produced no stored event. Every case has a counter; tests assert on these cases,
/// never on log text.
public enum DropReason: String, CaseIterable, Sendable, Error {
    case malformedJSON = "malformed_json"
    case bodyTooLarge = "body_too_large"
    case tooManyFields = "too_many_fields"
    case valueTooLong = "value_too_long"
    case tooManyEvents = "too_many_events"
    case accountMismatch = "account_mismatch"
    case unsupportedMethod = "unsupported_method"
    case overCapacity = "over_capacity"
    case rateLimited = "rate_limited"
    case storageUnavailable = "storage_unavailable"

    /// The HTTP status a JSON tracking endpoint answers with for this reason.
    public var httpStatus: Int {
        switch self {
        case .malformedJSON, .tooManyFields, .valueTooLong, .tooManyEvents, .accountMismatch: return 400
        case .bodyTooLarge: return 413
        case .unsupportedMethod: return 405
        case .rateLimited: return 429
        case .overCapacity, .storageUnavailable: return 503
        }
    }

    public var message: String {
        switch self {
        case .malformedJSON: return "the body is not valid JSON"
        case .bodyTooLarge: return "the body is larger than the configured limit"
        case .tooManyFields: return "the event has more fields than the configured limit"
        case .valueTooLong: return "a value is longer than the configured limit"
        case .tooManyEvents: return "the batch has more events than the configured limit"
        case .accountMismatch: return "the acct value does not match this host"
        case .unsupportedMethod: return "this method is not supported on this route"
        case .overCapacity: return "the server is at its connection limit"
        case .rateLimited: return "too many requests: slow down"
        case .storageUnavailable: return "the event could not be stored durably"
        }
    }
}

/// A drop with the detail that explains it (logged when Debug is on, sent in a debug header).
public struct Rejection: Error, Sendable, Equatable {
    public let reason: DropReason
    public let detail: String

    public init(_ reason: DropReason, _ detail: String = "") {
        self.reason = reason
        self.detail = detail
    }
}
