import Foundation

/// NATS message headers (`NATS/1.0` block, HTTP-like), with the status line servers use for
/// no-responders (503), request timeouts (408) and JetStream's idle heartbeats and pull results.
public struct NATSHeaders: Equatable, Sendable {
    public var status: Int?
    public var statusDescription: String?
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public static func == (a: NATSHeaders, b: NATSHeaders) -> Bool {
        a.status == b.status && a.statusDescription == b.statusDescription
            && a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.value) == b.fields.map(\.value)
    }

    public subscript(name: String) -> String? {
        get { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
        set {
            fields.removeAll { $0.name.lowercased() == name.lowercased() }
            if let newValue { fields.append((name: name, value: newValue)) }
        }
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    public func encoded() -> [UInt8] {
        var out = "NATS/1.0\r\n"
        for (name, value) in fields {
            // Header values cannot carry line breaks; they are replaced rather than sent broken.
            let clean = value.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            out += "\(name): \(clean)\r\n"
        }
        out += "\r\n"
        return Array(out.utf8)
    }

    static func parse(_ bytes: [UInt8]) -> NATSHeaders? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        guard let first = lines.first, first.hasPrefix("NATS/1.0") else { return nil }
        lines.removeFirst()
        var headers = NATSHeaders()
        let status = first.dropFirst("NATS/1.0".count).trimmingCharacters(in: " ")
        if !status.isEmpty {
            let parts = status.split(separator: " ", maxSplits: 1)
            headers.status = Int(parts[0])
            if parts.count > 1 { headers.statusDescription = String(parts[1]) }
        }
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: " "))
        }
        return headers
    }
}
