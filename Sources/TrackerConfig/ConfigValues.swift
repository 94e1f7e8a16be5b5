import Foundation
import TrackerCore

/// Reads typed values out of JSON (or environment text), collecting every problem instead of
/// stopping at the first.
struct ConfigValues {
    var problems: [ConfigProblem] = []

    mutating func problem(_ path: String, _ message: String) {
        problems.append(ConfigProblem(path: path, message: message))
    }

    mutating func string(_ value: JSONValue, _ path: String) -> String? {
        guard case .string(let s) = value else { problem(path, "expected a string, found \(describe(value))"); return nil }
        return s
    }

    mutating func int(_ value: JSONValue, _ path: String, min: Int = 0) -> Int? {
        guard case .number(let n) = value, n == n.rounded(), abs(n) < 1e15 else {
            problem(path, "expected a whole number, found \(describe(value))"); return nil
        }
        guard Int(n) >= min else { problem(path, "must be at least \(min)"); return nil }
        return Int(n)
    }

    mutating func bool(_ value: JSONValue, _ path: String) -> Bool? {
        guard case .bool(let b) = value else { problem(path, "expected true or false, found \(describe(value))"); return nil }
        return b
    }

    /// A list of strings; a single string is a one-element list (upstream's `AllowOrigin` is one).
    mutating func stringList(_ value: JSONValue, _ path: String) -> [String]? {
        switch value {
        case .string(let s): return [s]
        case .array(let items):
            var result: [String] = []
            for (i, item) in items.enumerated() {
                if let s = string(item, "\(path)[\(i)]") { result.append(s) }
            }
            return result
        default:
            problem(path, "expected a list of strings, found \(describe(value))"); return nil
        }
    }

    /// Bytes: a number, or text such as `64KiB`, `8MiB`, `1MB`.
    mutating func size(_ value: JSONValue, _ path: String) -> Int? {
        if case .number = value { return int(value, path, min: 1) }
        guard case .string(let s) = value, let bytes = Self.parseSize(s) else {
            problem(path, "expected a size such as \"64KiB\" or a number of bytes, found \(describe(value))"); return nil
        }
        return bytes
    }

    /// Seconds: a number, or text such as `500ms`, `10s`, `30m`, `12h`, `400d`.
    mutating func duration(_ value: JSONValue, _ path: String) -> Double? {
        if case .number(let n) = value, n >= 0 { return n }
        guard case .string(let s) = value, let seconds = Self.parseDuration(s) else {
            problem(path, "expected a duration such as \"30m\" or a number of seconds, found \(describe(value))"); return nil
        }
        return seconds
    }

    /// A list of objects with known keys: every unknown key is a problem; `read` gets each object
    /// and its path.
    mutating func objectList<T>(_ value: JSONValue, _ path: String, keys: Set<String>,
                                _ read: (inout ConfigValues, [String: JSONValue], String) -> T?) -> [T]? {
        guard case .array(let items) = value else {
            problem(path, "expected a list of objects, found \(describe(value))")
            return nil
        }
        var result: [T] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard case .object(let fields) = item else {
                problem(itemPath, "expected an object, found \(describe(item))")
                continue
            }
            for key in fields.keys.sorted() where !keys.contains(key) {
                problem("\(itemPath).\(key)", "unknown key")
            }
            if let value = read(&self, fields, itemPath) { result.append(value) }
        }
        return result
    }

    mutating func regex(_ value: JSONValue, _ path: String) -> NSRegularExpression? {
        guard let pattern = string(value, path) else { return nil }
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            problem(path, "not a valid regular expression"); return nil
        }
    }

    static func parseSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000),
                                      ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let n = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n > 0 else { return nil }
            return Int(n * Double(factor))
        }
        return Int(trimmed).flatMap { $0 > 0 ? $0 : nil }
    }

    static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            guard let n = Double(trimmed.dropLast(suffix.count)), n >= 0 else { return nil }
            return n * factor
        }
        return Double(trimmed).flatMap { $0 >= 0 ? $0 : nil }
    }

    func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}
