/// A `Range: bytes=...` header against a file of `size` bytes (RFC 9110 §14). Only a single range is
/// served as 206; several ranges get the whole file (200), which the RFC allows.
public enum ByteRange: Equatable, Sendable {
    /// No usable Range header: send everything.
    case whole
    /// Send `offset..<offset+length` as 206.
    case partial(offset: Int, length: Int)
    /// 416: no byte of the range exists.
    case unsatisfiable

    public static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header, header.hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst(6)
        guard !spec.contains(",") else { return .whole }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let first = parts[0].trimmingCharacters(in: .whitespaces), last = parts[1].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = Int(last), suffix >= 0 else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            let length = min(suffix, size)
            return .partial(offset: size - length, length: length)
        }
        guard let start = Int(first), start >= 0 else { return .whole }
        guard start < size else { return .unsatisfiable }
        var end = size - 1
        if !last.isEmpty {
            guard let requested = Int(last), requested >= start else { return .whole }
            end = min(requested, size - 1)
        }
        return .partial(offset: start, length: end - start + 1)
    }
}

import Foundation
