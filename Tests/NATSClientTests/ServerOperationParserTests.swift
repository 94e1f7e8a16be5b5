import Testing
@testable import NATSClient

/// The protocol reader, on the exact lines servers 2.9 and 2.15 send.
struct ServerOperationParserTests {
    static func all(_ text: String, chunk: Int = .max) throws -> [ServerOperation] {
        var parser = ServerOperationParser()
        var out: [ServerOperation] = []
        let bytes = Array(text.utf8)
        var index = 0
        repeat {
            let end = min(index + chunk, bytes.count)
            parser.append(bytes[index..<end])
            index = end
            while let operation = try parser.next() { out.append(operation) }
        } while index < bytes.count
        return out
    }

    @Test func controlLinesAndMessages() throws {
        let stream = "INFO {\"server_id\":\"N\",\"max_payload\":1048576} \r\nPING\r\nPONG\r\n+OK\r\n-ERR 'Stale Connection'\r\n"
            + "MSG foo.bar 1 reply.inbox 2\r\nhi\r\nMSG _INBOX.r 1  24\r\n" + String(repeating: "x", count: 24) + "\r\n"
        let expected: [ServerOperation] = [
            .info(Array("{\"server_id\":\"N\",\"max_payload\":1048576} ".utf8)), .ping, .pong, .ok, .error("Stale Connection"),
            .message(NATSMessage(subject: "foo.bar", replyTo: "reply.inbox", payload: Array("hi".utf8)), sid: 1),
            .message(NATSMessage(subject: "_INBOX.r", payload: Array(repeating: UInt8(ascii: "x"), count: 24)), sid: 1),
        ]
        #expect(try Self.all(stream) == expected)
        // Byte by byte, the same.
        #expect(try Self.all(stream, chunk: 1) == expected)
    }

    static func hmsg(_ subjectAndSid: String, _ headers: String) -> String {
        "HMSG \(subjectAndSid) \(headers.utf8.count) \(headers.utf8.count)\r\n\(headers)\r\n"
    }

    @Test func headersWithAndWithoutStatus() throws {
        let operations = try Self.all("HMSG foo.h 9 24 28\r\nNATS/1.0\r\nX-Site: 42\r\n\r\nbody\r\n"
            + Self.hmsg("_INBOX.x 2", "NATS/1.0 503\r\nNats-Subject: q\r\n\r\n")
            + Self.hmsg("in 3", "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 4\r\n\r\n"))
        guard case .message(let first, 9) = operations[0] else { Issue.record("\(operations)"); return }
        #expect(first.headers?["x-site"] == "42" && first.text == "body" && first.headers?.status == nil)
        guard case .message(let second, 2) = operations[1] else { Issue.record("\(operations)"); return }
        #expect(second.headers?.status == 503 && second.headers?["Nats-Subject"] == "q" && second.payload.isEmpty)
        guard case .message(let third, 3) = operations[2] else { Issue.record("\(operations)"); return }
        #expect(third.headers?.status == 408 && third.headers?.statusDescription == "Request Timeout")
    }

    @Test func brokenInputIsAnErrorNotACrash() {
        #expect(throws: ServerOperationParser.Failure.self) { try Self.all("WHAT is this\r\n") }
        #expect(throws: ServerOperationParser.Failure.self) { try Self.all("MSG a 1 3\r\nabcdef\r\n") }
        #expect(throws: ServerOperationParser.Failure.self) { try Self.all("MSG a x 3\r\nabc\r\n") }
        #expect(throws: ServerOperationParser.Failure.self) { try Self.all("HMSG a 1 9 3\r\nabc\r\n") }
        var small = ServerOperationParser(maxMessageBytes: 10)
        small.append(Array("MSG a 1 11\r\n".utf8))
        #expect(throws: ServerOperationParser.Failure.tooLarge(11)) { try small.next() }
    }

    @Test func whatTheClientWrites() {
        var out: [UInt8] = []
        ClientOperation.publish(subject: "foo.h", replyTo: nil, headers: NATSHeaders([("X-Site", "42")]), payload: Array("body".utf8), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "HPUB foo.h 24 28\r\nNATS/1.0\r\nX-Site: 42\r\n\r\nbody\r\n")
        out = []
        ClientOperation.publish(subject: "a.b", replyTo: "_INBOX.1", headers: nil, payload: Array("hi".utf8), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "PUB a.b _INBOX.1 2\r\nhi\r\n")
        #expect(String(decoding: ClientOperation.subscribe(subject: "tic.log.>", queue: "tracker", sid: 7), as: UTF8.self) == "SUB tic.log.> tracker 7\r\n")
        #expect(ClientOperation.isValidSubject("toc.track.notify", wildcards: false))
        #expect(!ClientOperation.isValidSubject("a b", wildcards: false))
        #expect(!ClientOperation.isValidSubject("a.>", wildcards: false))
        #expect(ClientOperation.isValidSubject("a.>", wildcards: true))
        #expect(!ClientOperation.isValidSubject("a..b", wildcards: true))
    }

    @Test func serverURLs() {
        #expect(ServerAddress("nats://u:p%40ss@10.0.0.1:4223")?.description == "10.0.0.1:4223")
        #expect(ServerAddress("nats://u:p%40ss@10.0.0.1:4223")?.password == "p@ss")
        #expect(ServerAddress("tls://nats.example.com")?.tls == true)
        #expect(ServerAddress("127.0.0.1:4222")?.port == 4222)
        #expect(ServerAddress("[::1]:4333")?.host == "::1")
        #expect(ServerAddress("http://x:1") == nil)
    }
}
