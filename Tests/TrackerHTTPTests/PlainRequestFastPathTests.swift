import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import TrackerHTTP

/// The fast path hands over exactly what NIO's decoder would have: the same requests, heads,
/// bodies and errors, whatever the requests and however the bytes are split into reads.
@Suite struct PlainRequestFastPathTests {
    /// What a request handler saw, with bodies joined (NIO's decoder gives a body in as many parts
    /// as it arrived in reads; the fast path in one).
    final class Recorder: ChannelInboundHandler, RequestPartReceiver {
        typealias InboundIn = HTTPServerRequestPart
        var seen: [String] = []
        var body: [UInt8] = []
        var fastParts = 0

        func receive(_ part: HTTPServerRequestPart) {
            fastParts += 1
            record(part)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            record(unwrapInboundIn(data))
        }

        func record(_ part: HTTPServerRequestPart) {
            switch part {
            case .head(let head):
                let headers = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: "|")
                seen.append("head \(head.method) \(head.uri) \(head.version) [\(headers)] keepAlive=\(head.isKeepAlive)")
            case .body(let buffer): body += buffer.readableBytesView
            case .end(let trailers):
                seen.append("body \(String(decoding: body, as: UTF8.self)) end \(trailers.map { "\($0)" } ?? "-")")
                body = []
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            seen.append("error \(error)")
        }
    }

    static let small: NIOHTTPDecoderLimitConfiguration = {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 1024
        limits.maxHeaderListSize = 1536
        limits.maxHeaderFieldCount = 10
        return limits
    }()

    /// Feeds the reads to a channel with or without the fast path; what its handler saw.
    func run(_ reads: [[UInt8]], fast: Bool, limits: NIOHTTPDecoderLimitConfiguration = .init()) throws -> (seen: [String], fastParts: Int) {
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        let pipeline = channel.pipeline.syncOperations
        if fast { try pipeline.addHandler(PlainRequestFastPath(parser: PlainRequestParser(limits: limits), receiver: recorder)) }
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)))
        try pipeline.addHandler(recorder)
        for read in reads where !recorder.seen.contains(where: { $0.hasPrefix("error") }) {
            _ = try? channel.writeInbound(ByteBuffer(bytes: read))
        }
        _ = try? channel.finish()
        return (recorder.seen, recorder.fastParts)
    }

    static let requests: [String] = [
        "GET /img/v1/?utm_source=newsletter&gu=1 HTTP/1.1\r\nHost: t.example.com\r\nUser-Agent: wrk\r\n\r\n",
        "POST /tr/v1/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n{\"ename\":1}",
        "GET / HTTP/1.0\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n",
        "HEAD /x HTTP/1.1\r\nX-Empty:\r\nX-Spaces:  a b \t \r\nx-lower: 1\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "DELETE /k?a=%20b HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        "PUT /p HTTP/1.1\r\nContent-Length: 007\r\n\r\nabcdefg",
        "PATCH /p HTTP/1.1\r\ncontent-length:3\r\n\r\nxyz",
        "GET /q HTTP/1.1\r\nContent-Length: 2\r\n\r\nok",
        "GET /t HTTP/1.1\r\nX-Tab:\tv\t\r\n\r\n",
        "GET /h HTTP/1.1\r\nX-Under_Score!: v\r\nAccept: */*\r\n\r\n",
        "GET /odd{}|^`\"<>\\ HTTP/1.1\r\n\r\n",
        "GET /utf8é HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: caf\u{e9}\r\n\r\n",
        "POST /l HTTP/1.1\r\nCONTENT-LENGTH: 2\r\nConnection: CLOSE\r\n\r\nhi",
        "POST /l HTTP/1.1\r\nContent-Length: 2 \r\n\r\nhi",
        "POST /l HTTP/1.1\r\nContent-Length:\t2\r\n\r\nhi",
        "GET /s HTTP/1.1\r\nX:    \r\nY: \t\r\n\r\n",
        "GET /\(String(repeating: "u", count: 3000)) HTTP/1.1\r\n\r\n",
        "GET /\(String(repeating: "u", count: 90_000)) HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: \(String(repeating: "v", count: 8000))\r\nY: \(String(repeating: "w", count: 8000))\r\n\r\n",
        // At the limits of the small decoder below: just under, at, just over.
        "GET /\(String(repeating: "u", count: 1015)) HTTP/1.1\r\n\r\n",
        "GET /\(String(repeating: "u", count: 1023)) HTTP/1.1\r\n\r\n",
        "GET /\(String(repeating: "u", count: 1024)) HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: \(String(repeating: "v", count: 1021))\r\n\r\n",
        "GET / HTTP/1.1\r\nX: \(String(repeating: "v", count: 1022))\r\n\r\n",
        "GET / HTTP/1.1\r\n\((0..<12).map { "H\($0): \(String(repeating: "v", count: 120))\r\n" }.joined())\r\n",
        "GET /many HTTP/1.1\r\n\((0..<120).map { "H\($0): \($0)\r\n" }.joined())\r\n",
        "GET /ka HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: h2c\r\n\r\n",
        "GET /cu HTTP/1.1\r\nConnection: Upgrade\r\n\r\n",
        "GET /te HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
        "GET /tr HTTP/1.1\r\nTrailer: X\r\n\r\n",
        // Not plain: chunked, upgrades, Expect, unknown methods, and malformed requests of all kinds.
        "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
        "CONNECT example.com:443 HTTP/1.1\r\n\r\n",
        "FOO / HTTP/1.1\r\n\r\n",
        "get / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
        "GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\nx",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\n Folded: x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: 1\r\n  folded\r\n\r\n",
        "GET / HTTP/1.1\nHost: x\n\n",
        "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n",
        "POST / HTTP/1.1\r\nX-A: 1\r\rContent-Length: 1\r\n\r\nx",
        "GET / HTTP/1.1\r\nX: \r\r\n\r\n",
        "GET /\r HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nBad\u{7F}: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u{1}b\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "GET HTTP/1.1\r\n\r\n",
        "\r\nGET /lead HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nX: \(String(repeating: "v", count: 90_000))\r\n\r\n",
    ]

    @Test(arguments: 0..<PlainRequestFastPathTests.requests.count)
    func eachRequestWholeAndByteByByte(index: Int) throws {
        let bytes = Array(Self.requests[index].utf8)
        for reads in [[bytes], bytes.map { [$0] }] {
            for limits in [NIOHTTPDecoderLimitConfiguration(), Self.small] {
                let fast = try run(reads, fast: true, limits: limits)
                #expect(fast.seen == (try run(reads, fast: false, limits: limits)).seen, "\(Self.requests[index].prefix(200).debugDescription)")
            }
        }
    }

    /// Sequences of requests (pipelined), split at random places: the same as NIO's decoder alone.
    @Test func randomSequencesAndSplits() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let count = Int.random(in: 1...4, using: &generator)
            let stream = (0..<count).flatMap { _ in Array(Self.requests.randomElement(using: &generator)!.utf8) }
            var reads: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let length = Bool.random(using: &generator) ? stream.count - start : Int.random(in: 1...(stream.count - start), using: &generator)
                reads.append(Array(stream[start..<start + length]))
                start += length
            }
            let limits = Bool.random(using: &generator) ? NIOHTTPDecoderLimitConfiguration() : Self.small
            let fast = try run(reads, fast: true, limits: limits)
            let reference = try run(reads, fast: false, limits: limits)
            #expect(fast.seen == reference.seen, "\(reads.map { String(decoding: $0, as: UTF8.self).prefix(300) })")
        }
    }

    /// The fast path is taken for the tracking requests it is for, so the test above compares it.
    @Test func plainRequestsInWholeReadsTakeTheFastPath() throws {
        let twoHits = Array((Self.requests[0] + Self.requests[1]).utf8)
        #expect(try run([twoHits], fast: true).fastParts == 5)
        #expect(try run([Array(Self.requests.first { $0.contains("chunked") }!.utf8)], fast: true).fastParts == 0, "chunked goes to NIO's decoder")
    }

    /// A direct lane waits on `.incomplete` and hands the bytes to NIO on `.other`: a plain
    /// request must read as incomplete at every point it can be cut, never as another request
    /// and never as not plain, or a request split across reads would leave the lane.
    @Test func everyCutOfAPlainRequestIsIncomplete() {
        let parser = PlainRequestParser(limits: .init())
        for text in Self.requests {
            let bytes = Array(text.utf8)
            let whole = bytes.withUnsafeBytes { parser.scan($0) }
            guard case .request(let request) = whole else { continue }
            for cut in 0..<request.length {
                let scan = bytes[..<cut].withUnsafeBytes { parser.scan($0) }
                guard case .incomplete(let total) = scan else {
                    Issue.record("cut at \(cut) of \(text.debugDescription) reads as \(scan)")
                    break
                }
                #expect(total == nil || total == request.length)
            }
        }
        let tls: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01]
        guard case .other = tls.withUnsafeBytes({ parser.scan($0) }) else {
            Issue.record("a TLS hello is not a plain request")
            return
        }
    }

    /// Reused header texts (`HeaderTexts`) give the same heads as new ones, whatever the earlier
    /// requests on the same lines held: random values of a few lengths, so that lines often
    /// hold another text of the same length, or a prefix of it.
    @Test func reusedHeaderTextsReadAsNewOnes() {
        let parser = PlainRequestParser(limits: NIOHTTPDecoderLimitConfiguration())
        let texts = HeaderTexts()
        let values = ["Mozilla/5.0 (X11; Linux x86_64) Chrome/131", "Mozilla/5.0 (X11; Linux x86_64) Chrome/132",
                      "Mozilla/5.0 (X11; Linux x86_64)", "text/plain;charset=UTF-8", "text/plain;charset=utf-8", "short",
                      "vid=3d0be300-cbd2-11e8-aa59-ffd128a54d91", "vid=3d0be300-cbd2-11e8-aa59-ffd128a54d92"]
        let names = ["User-Agent", "Content-Type", "Cookie", "x-a-rather-long-header-name", "x-a-rather-long-header-namf"]
        for _ in 0..<2000 {
            var request = "POST /tr/v1/ HTTP/1.1\r\nHost: a.example\r\n"
            for _ in 0..<Int.random(in: 0...6) { request += "\(names.randomElement()!): \(values.randomElement()!)\r\n" }
            request += "Content-Length: 0\r\n\r\n"
            let bytes = Array(request.utf8)
            let (plain, reused) = bytes.withUnsafeBytes { (parser.request(in: $0), parser.scan($0, texts: texts)) }
            guard case .request(let withTexts) = reused, let plain else {
                Issue.record("not taken: \(request)")
                continue
            }
            #expect(withTexts.head == plain.head, "\(request)")
            #expect(Array(withTexts.head.headers.map(\.value)) == Array(plain.head.headers.map(\.value)), "\(request)")
        }
    }
}
