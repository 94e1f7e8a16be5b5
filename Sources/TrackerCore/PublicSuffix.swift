import Foundation

/// The registrable domain ("eTLD+1") of a host, from the Public Suffix List, so that the `vid`
/// cookie of `tr.example.co.uk` is set on `example.co.uk` and not on `co.uk` (upstream took the
/// last two labels, §18.15).
public struct PublicSuffix: Sendable {
    public static let shared = PublicSuffix(rules: PublicSuffixData.rules)

    let exact: Set<String>
    let wildcards: Set<String>
    let exceptions: Set<String>

    public init(rules: String) {
        var exact = Set<String>(), wildcards = Set<String>(), exceptions = Set<String>()
        for line in rules.split(separator: "\n") {
            let rule = line.lowercased()
            if rule.hasPrefix("!") {
                exceptions.insert(String(rule.dropFirst()))
            } else if rule.hasPrefix("*.") {
                wildcards.insert(String(rule.dropFirst(2)))
            } else {
                exact.insert(rule)
            }
        }
        self.exact = exact
        self.wildcards = wildcards
        self.exceptions = exceptions
    }

    /// The number of labels in the public suffix of `labels` (at least 1: the implicit `*` rule).
    func suffixLength(_ labels: [Substring]) -> Int {
        for start in 0..<labels.count {
            let candidate = labels[start...].joined(separator: ".")
            if exceptions.contains(candidate) { return labels.count - start - 1 }
            if exact.contains(candidate) { return labels.count - start }
            if start > 0, wildcards.contains(candidate) { return labels.count - start + 1 }
        }
        return 1
    }

    /// nil for IP addresses, single-label hosts (`localhost`) and public suffixes themselves.
    public func registrableDomain(_ host: String) -> String? {
        var name = Substring(host.lowercased())
        while name.hasPrefix(".") { name = name.dropFirst() }
        while name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.contains("."), !ClientAddress.isIPLiteral(String(name)) else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, !labels.contains(where: \.isEmpty) else { return nil }
        let suffix = suffixLength(labels)
        guard labels.count > suffix else { return nil }
        return labels.suffix(suffix + 1).joined(separator: ".")
    }
}
