import Foundation
import Testing
import TrackerConfig
import TrackerTesting

/// How proxied messages are framed on the client's connection: pipelined requests in order, and
/// answers written as bytes or through the encoder, each ending exactly where it should.
@Suite(.serialized) struct ProxyFramingTests: ProxyTesting {
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withProxy(backends: ["a"], { b, config in config.routes = [route("api", b)] }) { server, _ in
            let requests = ["GET /api/slow/200 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /tr/v1/?ename=p HTTP/1.1\r\nHost: x\r\n\r\n",
                            "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
                            "GET /api/status/201 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]
            let text = try server.client.rawUntilClosed(Array(requests.joined().utf8))
            let order = ["slow a", "vid=", "pong", "\"bodyBytes\":3", "status 201"].map { text.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil })
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
            #expect(text.components(separatedBy: "HTTP/1.1 ").count - 1 == 5)
        }
    }

    /// Answers framed by a length are written as bytes past NIO's encoder, chunked ones through
    /// it: on one keep-alive connection, each must end exactly where it should.
    @Test func everyFramingPassesOnOneKeepAliveConnection() async throws {
        try await withProxy(backends: ["a"], { b, config in config.routes = [route("api", b)] }) { server, _ in
            let requests = ["HEAD /api/echo HTTP/1.1\r\nHost: x\r\n\r\n", "GET /api/bytes/5?chunked HTTP/1.1\r\nHost: x\r\n\r\n",
                            "GET /api/status/204 HTTP/1.1\r\nHost: x\r\n\r\n", "GET /api/status/304 HTTP/1.1\r\nHost: x\r\n\r\n",
                            "POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                            "GET /api/bytes/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]
            let text = try server.client.rawUntilClosed(Array(requests.joined().utf8))
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { "HTTP/1.1 " + $0 }
            try #require(answers.count == 6)
            // HEAD: the length of what GET would send, and no body before the next answer.
            #expect(answers[0].lowercased().contains("content-length: ") && answers[0].hasSuffix("\r\n\r\n"))
            #expect(answers[1].lowercased().contains("transfer-encoding: chunked") && answers[1].hasSuffix("\r\n5\r\nxxxxx\r\n0\r\n\r\n"))
            #expect(answers[2].hasPrefix("HTTP/1.1 204") && answers[2].hasSuffix("\r\n\r\n"))
            #expect(answers[3].hasPrefix("HTTP/1.1 304") && answers[3].hasSuffix("\r\n\r\n"))
            #expect(answers[4].contains("\"bodyBytes\":3") && answers[4].lowercased().contains("content-length: "))
            #expect(answers[5].lowercased().contains("connection: close") && answers[5].lowercased().contains("content-length: 3"))
            #expect(!text.lowercased().contains("keep-alive"))
        }
    }

    @Test func anHTTP10ClientIsKeptAliveOnlyWhenItAsks() async throws {
        try await withProxy(backends: ["a"], { b, config in config.routes = [route("api", b)] }) { server, _ in
            let requests = ["GET /api/bytes/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /api/bytes/4 HTTP/1.0\r\n\r\n"]
            let text = try server.client.rawUntilClosed(Array(requests.joined().utf8))
            let answers = text.components(separatedBy: "HTTP/1.0 ").dropFirst().map { $0.lowercased() }
            try #require(answers.count == 2)
            #expect(answers[0].hasPrefix("200 ok") && answers[0].contains("connection: keep-alive") && answers[0].contains("content-length: 2"))
            #expect(answers[1].contains("connection: close") && answers[1].hasSuffix("\r\n\r\nxxxx"))
        }
    }
}
