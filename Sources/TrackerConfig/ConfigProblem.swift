/// One thing wrong with a configuration, located by its JSON path (`$.TrustedProxies[1]`) or the
/// environment variable it came from.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let problems: [ConfigProblem]

    public var description: String {
        (["the configuration has \(problems.count) problem\(problems.count == 1 ? "" : "s"):"]
            + problems.map { "  \($0)" }).joined(separator: "\n")
    }
}
