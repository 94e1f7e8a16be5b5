/// A parsed JSON document. Events accept any JSON type for any field (upstream failed whole inserts
/// on `"rel":1`), so the pipeline works on this tree rather than on a fixed Codable schema.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value as text for a text column: strings as-is, numbers without a useless `.0`,
    /// booleans as `true`/`false`, containers as compact JSON; nil for null.
    public var text: String? {
        switch self {
        case .null: return nil
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return JSONValue.format(n)
        case .array, .object: return JSONWriter.serialize(self)
        }
    }

    /// The value as a number when it is one or is text that reads as one (`"6"`, `" 1.5 "`).
    public var number: Double? {
        switch self {
        case .number(let n): return n
        case .string(let s):
            guard let first = s.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || first == UInt8(ascii: " ")
                    || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")),
                  let n = Double(ASCII.trimmed(s)), n.isFinite else { return nil }
            return n
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }

    public static func format(_ n: Double) -> String {
        if n.isFinite, n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return String(n)
    }
}
