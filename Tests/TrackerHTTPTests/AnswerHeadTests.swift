import NIOCore
import NIOHTTP1
import Testing
@testable import TrackerHTTP

/// The head of the server's own answers, written in one pass over their headers.
@Suite struct AnswerHeadTests {
    func head(_ response: HTTPResponse, method: HTTPMethod = .GET, version: HTTPVersion = .http1_1,
              requestHeaders: HTTPHeaders = [:]) -> (lines: [String], body: String, keepAlive: Bool)? {
        var answers = AnswerEncoder(hsts: "max-age=600")
        let request = HTTPRequestHead(version: version, method: method, uri: "/", headers: requestHeaders)
        guard let (buffer, keepAlive) = answers.encodeHead(response, for: request, allocator: ByteBufferAllocator()) else { return nil }
        let text = String(buffer: buffer)
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts[0].components(separatedBy: "\r\n"), parts.dropFirst().joined(separator: "\r\n\r\n"), keepAlive)
    }

    @Test func theLengthDateAndHSTSAreAddedOnceAndTheBodyFollows() throws {
        var response = HTTPResponse(status: .ok, headers: ["content-type": "image/gif", "Content-Length": "999"], body: Array("GIF".utf8))
        response.headers.add(name: "set-cookie", value: "vid=1")
        let answer = try #require(head(response))
        #expect(answer.lines[0] == "HTTP/1.1 200 OK")
        #expect(answer.lines.contains("content-type: image/gif") && answer.lines.contains("set-cookie: vid=1"))
        #expect(answer.lines.filter { $0.lowercased().hasPrefix("content-length:") } == ["content-length: 3"])
        #expect(answer.lines.contains("strict-transport-security: max-age=600"))
        #expect(answer.lines.filter { $0.hasPrefix("date: ") }.count == 1)
        #expect(!answer.lines.contains { $0.lowercased().hasPrefix("connection") })
        #expect(answer.body == "GIF" && answer.keepAlive)
    }

    @Test func anAnswersOwnDateAndHSTSAreKept() throws {
        let response = HTTPResponse(status: .ok, headers: ["Date": "Sun, 06 Nov 1994 08:49:37 GMT", "Strict-Transport-Security": "max-age=1"])
        let answer = try #require(head(response))
        #expect(answer.lines.filter { $0.lowercased().hasPrefix("date:") } == ["Date: Sun, 06 Nov 1994 08:49:37 GMT"])
        #expect(answer.lines.filter { $0.lowercased().hasPrefix("strict-transport-security:") } == ["Strict-Transport-Security: max-age=1"])
    }

    @Test func statusesWithoutBodyHaveNoLengthAndHEADHasNoBody() throws {
        let notModified = try #require(head(HTTPResponse(status: .notModified, headers: ["etag": "\"x\""], body: Array("abc".utf8))))
        #expect(!notModified.lines.contains { $0.hasPrefix("content-length") } && notModified.body.isEmpty)
        let noContent = try #require(head(HTTPResponse(status: .noContent)))
        #expect(!noContent.lines.contains { $0.hasPrefix("content-length") })
        let headAnswer = try #require(head(HTTPResponse(status: .ok, body: Array("abcd".utf8)), method: .HEAD))
        #expect(headAnswer.lines.contains("content-length: 4") && headAnswer.body.isEmpty)
    }

    @Test func connectionIsClosedWhenEitherSideSaysSoAndKeptFor10WhenAsked() throws {
        let closing = try #require(head(HTTPResponse(status: .ok, headers: ["Connection": "Close"])))
        #expect(!closing.keepAlive && closing.lines.filter { $0.lowercased().hasPrefix("connection") } == ["connection: close"])
        let clientCloses = try #require(head(HTTPResponse(status: .ok), requestHeaders: ["connection": "close"]))
        #expect(!clientCloses.keepAlive && clientCloses.lines.contains("connection: close"))
        let old = try #require(head(HTTPResponse(status: .ok), version: .http1_0, requestHeaders: ["connection": "keep-alive"]))
        #expect(old.keepAlive && old.lines[0] == "HTTP/1.0 200 OK" && old.lines.contains("connection: keep-alive"))
        let oldPlain = try #require(head(HTTPResponse(status: .ok), version: .http1_0))
        #expect(!oldPlain.keepAlive && oldPlain.lines.contains("connection: close"))
        let upgrade = try #require(head(HTTPResponse(status: .ok, headers: ["connection": "upgrade"])))
        #expect(upgrade.keepAlive && upgrade.lines.contains("connection: upgrade"))
    }

    @Test func aHeaderThatCannotBeSentGivesNoHead() {
        #expect(head(HTTPResponse(status: .ok, headers: ["x-split": "a\r\nb: c"])) == nil)
        #expect(head(HTTPResponse(status: .ok, headers: ["bad name": "v"])) == nil)
    }
}
