/// What the server must know before the handshake starts: the name the client asked for (SNI) and
/// the protocols it offers (ALPN). Both choose the certificate: a TLS-ALPN-01 validation offers only
/// `acme-tls/1` and must get the challenge certificate, every other client the real one.
public struct ClientHello: Sendable, Equatable {
    public var serverName: String?
    public var applicationProtocols: [String]

    public init(serverName: String?, applicationProtocols: [String]) {
        self.serverName = serverName
        self.applicationProtocols = applicationProtocols
    }

    public enum Parse: Equatable, Sendable {
        /// More bytes are needed (the hello spans records or has not all arrived).
        case incomplete
        /// Not a TLS ClientHello (plain HTTP on the TLS port, garbage).
        case invalid
        case hello(ClientHello)
    }

    /// The largest handshake message accepted; real ClientHellos (even post-quantum ones) are a few KiB.
    public static let maxLength = 64 * 1024

    /// Reads the ClientHello from the first TLS records of a connection. The records are not consumed.
    public static func parse(_ bytes: some Collection<UInt8>) -> Parse {
        let data = Array(bytes)
        // The handshake message may be fragmented over several records: join their payloads.
        var handshake: [UInt8] = []
        var offset = 0
        while true {
            guard data.count >= offset + 5 else { return .incomplete }
            guard data[offset] == 22, data[offset + 1] == 3 else { return .invalid }
            let length = Int(data[offset + 3]) << 8 | Int(data[offset + 4])
            guard length > 0, length <= 16_384 + 2048 else { return .invalid }
            guard data.count >= offset + 5 + length else {
                handshake += data[(offset + 5)...]
                return plausiblePrefix(handshake) ? .incomplete : .invalid
            }
            handshake += data[(offset + 5)..<(offset + 5 + length)]
            offset += 5 + length
            guard handshake.count >= 4 else { continue }
            guard handshake[0] == 1 else { return .invalid }
            let messageLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
            guard messageLength <= maxLength else { return .invalid }
            if handshake.count >= 4 + messageLength {
                return body(Array(handshake[4..<(4 + messageLength)])).map(Parse.hello) ?? .invalid
            }
        }
    }

    static func plausiblePrefix(_ handshake: [UInt8]) -> Bool {
        handshake.isEmpty || handshake[0] == 1
    }

    static func body(_ b: [UInt8]) -> ClientHello? {
        var reader = Reader(bytes: b)
        guard reader.skip(2 + 32),                       // legacy version, random
              let session = reader.u8(), reader.skip(Int(session)),
              let suites = reader.u16(), reader.skip(Int(suites)),
              let compression = reader.u8(), reader.skip(Int(compression)) else { return nil }
        var hello = ClientHello(serverName: nil, applicationProtocols: [])
        guard !reader.atEnd else { return hello }           // no extensions at all
        guard let total = reader.u16(), var extensions = reader.sub(Int(total)) else { return nil }
        while !extensions.atEnd {
            guard let type = extensions.u16(), let length = extensions.u16(), var ext = extensions.sub(Int(length)) else { return nil }
            switch type {
            case 0: hello.serverName = serverName(&ext)
            case 16: hello.applicationProtocols = protocols(&ext) ?? []
            default: break
            }
        }
        return hello
    }

    static func serverName(_ r: inout Reader) -> String? {
        guard let listLength = r.u16(), var list = r.sub(Int(listLength)) else { return nil }
        while !list.atEnd {
            guard let type = list.u8(), let length = list.u16(), let name = list.take(Int(length)) else { return nil }
            // Host names only (type 0); a trailing dot names the same host.
            if type == 0, let text = String(validating: name, as: UTF8.self) {
                let lowered = text.lowercased()
                return lowered.hasSuffix(".") ? String(lowered.dropLast()) : lowered
            }
        }
        return nil
    }

    static func protocols(_ r: inout Reader) -> [String]? {
        guard let listLength = r.u16(), var list = r.sub(Int(listLength)) else { return nil }
        var out: [String] = []
        while !list.atEnd {
            guard let length = list.u8(), let name = list.take(Int(length)) else { return nil }
            out.append(String(decoding: name, as: UTF8.self))
        }
        return out
    }

    struct Reader {
        let bytes: [UInt8]
        var index = 0
        init(bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { index >= bytes.count }
        mutating func skip(_ n: Int) -> Bool {
            guard n >= 0, index + n <= bytes.count else { return false }
            index += n
            return true
        }
        mutating func u8() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }
        mutating func u16() -> UInt16? {
            guard let high = u8(), let low = u8() else { return nil }
            return UInt16(high) << 8 | UInt16(low)
        }
        mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard index + n <= bytes.count else { return nil }
            defer { index += n }
            return bytes[index..<(index + n)]
        }
        mutating func sub(_ n: Int) -> Reader? {
            take(n).map { Reader(bytes: Array($0)) }
        }
    }
}
