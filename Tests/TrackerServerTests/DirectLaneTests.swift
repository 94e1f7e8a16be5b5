import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TrackerStorage
import TrackerTesting

/// The plain listener's direct lanes (`DirectLane`): tracking requests served on the socket,
/// anything else handed to NIO with the bytes already read, against the real server.
@Suite(.serialized) struct DirectLaneTests {
    static func request(_ target: String, _ extra: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: example.com\r\n\(extra)\r\n"
    }

    /// Pipelined on one connection: tracking requests, `/status` and the browser tracker's
    /// script (the lane), a page of no site (handed to NIO in the middle of the bytes), then more
    /// tracking requests (NIO, since the connection is its now).
    /// With `DirectHTTP` off, NIO alone gives the same answers.
    @Test(arguments: [true, false])
    func aConnectionIsHandedToNIOMidPipelineWithTheBytesAlreadyRead(direct: Bool) async throws {
        let server = try await RunningServer.start { $0.directHTTP = direct }
        let body = #"{"ename":"posted","url":"https://example.com/a"}"#
        let requests = [
            Self.request("/img/v1/?ename=one"),
            "POST /tr/v1/ HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
            Self.request("/ping"),
            Self.request("/status"),
            Self.request("/t/track.js"),
            Self.request("/no-such-page"),
            Self.request("/img/v1/?ename=three"),
            Self.request("/ping", "Connection: close\r\n"),
        ]
        let text = try server.client.rawUntilClosed(Array(requests.joined().utf8))
        let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0 }
        try #require(answers.count == 8, "\(text)")
        #expect(answers[0].hasPrefix("200") && answers[0].contains("image/gif"))
        #expect(answers[1].hasPrefix("200"))
        #expect(answers[2].hasSuffix("pong"))
        #expect(answers[3].contains("\"accepted_events\":2"))
        #expect(answers[4].hasPrefix("200") && answers[4].lowercased().contains("content-type: text/javascript"))
        #expect(answers[5].hasPrefix("404"))
        #expect(answers[6].contains("image/gif"))
        #expect(answers[7].hasSuffix("pong") && answers[7].lowercased().contains("connection: close"))
        let names = try await server.events(atLeast: 3).compactMap { $0[.ename] }.sorted()
        #expect(names == ["one", "posted", "three"])
        try await server.stop()
    }

    /// A request that arrives a few bytes at a time is answered once it is whole.
    @Test func aRequestInPiecesIsAnsweredWhenWhole() async throws {
        let server = try await RunningServer.start()
        let fd = try HTTPTestClient.connectedSocket(port: server.port)
        defer { close(fd) }
        let bytes = Array("POST /str/v1/ HTTP/1.1\r\nHost: example.com\r\nContent-Length: 16\r\n\r\n{\"ename\":\"cut\"}\n".utf8)
        for chunk in stride(from: 0, to: bytes.count, by: 7) {
            let piece = Array(bytes[chunk..<min(chunk + 7, bytes.count)])
            _ = piece.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            try await Task.sleep(for: .milliseconds(5))
        }
        let answer = try HTTPTestClient.readResponse(fd)
        #expect(answer.status == 200 && answer.text.hasPrefix("{\"eid\":\""))
        #expect(try await server.events(atLeast: 1).map { $0[.ename] } == ["cut"])
        try await server.stop()
    }

    /// The header timeout is for heads: a body still coming after it is on the idle clock, as on
    /// NIO's path, and its request is answered.
    @Test func aSlowBodyIsNotCutByTheHeaderTimeout() async throws {
        let server = try await RunningServer.start { config in
            config.requestHeaderTimeoutSeconds = 1
            config.idleTimeoutSeconds = 30
        }
        let fd = try HTTPTestClient.connectedSocket(port: server.port)
        defer { close(fd) }
        let head = Array("POST /str/v1/ HTTP/1.1\r\nHost: example.com\r\nContent-Length: 16\r\n\r\n{\"ename\"".utf8)
        _ = head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try await Task.sleep(for: .milliseconds(1600))
        let rest = Array(":\"slow\"}".utf8)
        _ = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let answer = try HTTPTestClient.readResponse(fd)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(try await server.events(atLeast: 1).map { $0[.ename] } == ["slow"])
        try await server.stop()
    }

    /// Thousands of pipelined pixels from a client that reads nothing until it has sent them
    /// all: the answers outgrow the socket's buffers, so the lane must wait for the socket to
    /// drain (and stop reading meanwhile) without losing or reordering any.
    @Test func aClientThatDoesNotReadGetsEveryAnswerInOrder() async throws {
        let server = try await RunningServer.start()
        let count = 3000
        let requests = (0..<count).map { Self.request("/img/v1/?ename=n\($0)") }.joined() + Self.request("/ping", "Connection: close\r\n")
        let text = try server.client.rawUntilClosed(Array(requests.utf8))
        let answers = text.components(separatedBy: "HTTP/1.1 200 OK").count - 1
        #expect(answers == count + 1)
        #expect(text.hasSuffix("pong"))
        #expect(try await server.server.store.count(EventQuery()) == count)
        try await server.stop()
    }

    /// Clients gone before their answers: the events are still stored, the lane goes on serving,
    /// and the answers still due release their requests' slots even when the server stops at
    /// once (the lane's thread may end first: its last work is then done by whoever brings it).
    @Test func clientsThatLeaveBeforeTheirAnswersLeaveNothingBehind() async throws {
        let server = try await RunningServer.start()
        for index in 0..<20 {
            let fd = try HTTPTestClient.connectedSocket(port: server.port)
            let request = Array(Self.request("/img/v1/?ename=gone\(index)").utf8)
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        #expect(try server.client.get("/ping").text == "pong")
        #expect(try await server.events(atLeast: 20).count == 20)
        try await server.stop()
        #expect(server.server.application.limiter.current == 0)
    }

    /// A body over the limit is not the lane's to refuse: NIO answers 413, as before.
    @Test func anOversizeBodyStillGets413() async throws {
        let server = try await RunningServer.start { $0.maxBodyBytes = 1024 }
        let big = "{\"ename\":\"" + String(repeating: "x", count: 4000) + "\"}"
        let response = try server.client.post("/tr/v1/", body: big)
        #expect(response.status == 413)
        #expect(try server.client.get("/img/v1/?ename=after").status == 200)
        try await server.stop()
    }

    /// Random sequences of requests the lane serves, ones it hands over (chunked bodies, other
    /// routes, malformed JSON, HEAD, CORS preflights) and a last one that ends the connection,
    /// sent in pieces cut at random places: a server with direct lanes must give the same
    /// answers, in the same order, as one with NIO alone.
    @Test func theLaneAnswersAsNIOAloneWhateverTheRequestsAndTheirCuts() async throws {
        let direct = try await RunningServer.start { $0.directHTTP = true }
        let nio = try await RunningServer.start { $0.directHTTP = false }
        let json = #"{"ename":"e","url":"https://example.com/x"}"#
        let requests = [
            Self.request("/img/v1/?utm_source=newsletter&ename=a"),
            "POST /tr/v1/ HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)",
            "POST /str/v1/ HTTP/1.1\r\nHost: example.com\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)",
            "POST /tr/v1/ HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\n{bad}",
            "POST /tr/v1/ HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n\(String(json.utf8.count, radix: 16))\r\n\(json)\r\n0\r\n\r\n",
            Self.request("/ping"),
            Self.request("/clear"),
            "HEAD /img/v1/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "OPTIONS /tr/v1/ HTTP/1.1\r\nHost: example.com\r\nOrigin: https://shop.example\r\nAccess-Control-Request-Method: POST\r\n\r\n",
            Self.request("/rdr/v1/?url=https%3A%2F%2Fexample.com%2Fnext"),
            "GET /tr/v1/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ]
        let endings = [Self.request("/ping", "Connection: close\r\n"), "BROKEN\r\n\r\n", "GET /img/v1/ HTTP/1.0\r\n\r\n"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            let stream = Array(((0..<Int.random(in: 1...5, using: &generator)).map { _ in requests.randomElement(using: &generator)! }
                + [endings.randomElement(using: &generator)!]).joined().utf8)
            var cuts = (0..<Int.random(in: 0...4, using: &generator)).map { _ in Int.random(in: 1..<stream.count, using: &generator) }
            cuts = Array(Set(cuts)).sorted()
            let fromLanes = try await Self.transcript(stream, cuts: cuts, port: direct.port)
            let fromNIO = try await Self.transcript(stream, cuts: cuts, port: nio.port)
            #expect(fromLanes == fromNIO, "\(String(decoding: stream, as: UTF8.self).debugDescription) cut at \(cuts)")
        }
        try await direct.stop()
        try await nio.stop()
    }

    /// What a server answered to these bytes, sent in pieces, until it closed the connection;
    /// without what differs between any two answers (dates, minted ids, cookies).
    static func transcript(_ bytes: [UInt8], cuts: [Int], port: Int) async throws -> String {
        let fd = try HTTPTestClient.connectedSocket(port: port)
        defer { close(fd) }
        var start = 0
        for cut in cuts + [bytes.count] {
            let piece = Array(bytes[start..<cut])
            _ = piece.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            start = cut
            try await Task.sleep(for: .milliseconds(3))
        }
        let received = HTTPTestClient.readUntilClosed(fd)
        // Bodies such as the GIF are kept as printable text, for the message of a failure.
        let text = String(decoding: received.map { $0 == 10 || $0 == 13 || (32..<127).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
        let uuid = try Regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        return text.components(separatedBy: "\r\n")
            .filter { !$0.lowercased().hasPrefix("date:") && !$0.lowercased().hasPrefix("set-cookie:") }
            .joined(separator: "\n")
            .replacing(uuid, with: "<uuid>")
    }
}
