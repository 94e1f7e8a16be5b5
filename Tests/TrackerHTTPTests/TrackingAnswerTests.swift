import NIOCore
import NIOHTTP1
import Testing
import TrackerCore
@testable import TrackerHTTP

/// A tracking answer written from its parts is, byte for byte, its response as `encodeHead`
/// writes it, whatever its shape, cookie, CORS, request and listener.
@Suite struct TrackingAnswerTests {
    static let cookie = VisitorCookie(maxAgeSeconds: 600, domain: nil)
    static let vid = "0190a000-0000-7000-8000-000000000001"

    static let shapes: [TrackingAnswer.Shape] = [.pixel, .accepted, .redirect("https://shop.example.com/a?b=c"), .redirect("/")]
    static let cookies: [TrackingAnswer.CookieSetting?] = [
        nil,
        TrackingAnswer.CookieSetting(maker: cookie, vid: vid, host: "t.shop.example.co.uk", secure: true)!,
        TrackingAnswer.CookieSetting(maker: cookie, vid: vid, host: "127.0.0.1", secure: false)!,
    ]
    static let corsCases: [(CORSPolicy, String?)] = [
        (CORSPolicy(allowedOrigins: []), nil),
        (CORSPolicy(allowedOrigins: ["*"]), nil),
        (CORSPolicy(allowedOrigins: ["*"]), "https://a.example"),
        (CORSPolicy(allowedOrigins: ["https://a.example"]), "https://a.example"),
        (CORSPolicy(allowedOrigins: ["https://a.example"]), "https://b.example"),
    ]
    static let requests: [HTTPRequestHead] = [
        HTTPRequestHead(version: .http1_1, method: .GET, uri: "/img/v1/"),
        HTTPRequestHead(version: .http1_1, method: .HEAD, uri: "/img/v1/"),
        HTTPRequestHead(version: .http1_1, method: .POST, uri: "/tr/v1/", headers: ["connection": "close"]),
        HTTPRequestHead(version: .http1_0, method: .GET, uri: "/img/v1/"),
        HTTPRequestHead(version: .http1_0, method: .GET, uri: "/img/v1/", headers: ["connection": "keep-alive"]),
    ]

    /// The answer without its `Date` line, which may differ if a second turns between the two.
    func bytes(_ encoded: (buffer: ByteBuffer, keepAlive: Bool)?) -> (text: String, keepAlive: Bool)? {
        guard let (buffer, keepAlive) = encoded else { return nil }
        let text = String(buffer: buffer).components(separatedBy: "\r\n").filter { !$0.hasPrefix("date: ") }.joined(separator: "\r\n")
        return (text, keepAlive)
    }

    @Test(arguments: [nil, "max-age=600"])
    func theAnswerFromItsPartsIsItsResponseEncoded(hsts: String?) throws {
        let allocator = ByteBufferAllocator()
        var compared = 0
        for shape in Self.shapes {
            for cookie in Self.cookies {
                for (cors, origin) in Self.corsCases {
                    let answer = TrackingAnswer(shape: shape, cookie: cookie, cors: cors, origin: origin)
                    for request in Self.requests {
                        var fromParts = AnswerEncoder(hsts: hsts)
                        var fromResponse = AnswerEncoder(hsts: hsts)
                        let partsBytes = bytes(fromParts.encodeTracking(answer, for: request, allocator: allocator))
                        let responseBytes = bytes(fromResponse.encodeHead(answer.response, for: request, allocator: allocator))
                        let direct = try #require(partsBytes)
                        let encoded = try #require(responseBytes)
                        #expect(direct.text == encoded.text, "\(shape) \(String(describing: cookie?.host)) \(cors) \(String(describing: origin)) \(request)")
                        #expect(direct.keepAlive == encoded.keepAlive)
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 4 * 3 * 5 * 5)
    }

    @Test func thePixelAnswerIsWhatBrowsersAndMailClientsGet() throws {
        let answer = TrackingAnswer(shape: .pixel, cookie: Self.cookies[1], cors: CORSPolicy(allowedOrigins: ["*"]), origin: nil)
        var encoder = AnswerEncoder(hsts: nil)
        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/img/v1/")
        let encoded = encoder.encodeTracking(answer, for: request, allocator: ByteBufferAllocator())
        let (buffer, keepAlive) = try #require(encoded)
        let bytes = Array(buffer.readableBytesView)
        let head = String(decoding: bytes.prefix(bytes.count - 43), as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        #expect(keepAlive)
        #expect(Array(lines.prefix(6)) == [
            "HTTP/1.1 200 OK", "content-type: image/gif", "cache-control: no-store, max-age=0",
            "set-cookie: vid=\(Self.vid); Path=/; Max-Age=600; SameSite=Lax; Domain=example.co.uk; Secure",
            "access-control-allow-origin: *", "content-length: 43",
        ])
        #expect(lines[6].hasPrefix("date: ") && head.hasSuffix("\r\n\r\n"))
        #expect(Array(bytes.suffix(43)) == Pixel.gif)
    }

    @Test func aHeaderThatCannotBeSentIsLeftToTheCheckedWay() {
        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/rdr/v1/")
        let cors = CORSPolicy(allowedOrigins: ["*"])
        // A target with a control character (a `DefaultRedirect` from the config can have one).
        let badTarget = TrackingAnswer(shape: .redirect("/a\r\nx-injected: 1"), cookie: nil, cors: cors, origin: nil)
        var encoder = AnswerEncoder(hsts: nil)
        let fromParts = encoder.encodeTracking(badTarget, for: request, allocator: ByteBufferAllocator())
        #expect(fromParts == nil)
        // The checked way refuses it too (and the connection answers 500).
        let checked = encoder.encodeHead(badTarget.response, for: request, allocator: ByteBufferAllocator())
        #expect(checked == nil)
        // A `vid` that cannot be a cookie's value is never set at all.
        for vid in ["a\nb", "a; Domain=evil.example", ""] {
            #expect(TrackingAnswer.CookieSetting(maker: Self.cookie, vid: vid, host: "localhost", secure: false) == nil)
        }
    }
}
