import Testing
@testable import TrackerConfig
import TrackerCore

/// The `NATS` section.
struct NATSConfigurationTests {
    @Test func everyKey() throws {
        let config = try HTTPSConfigurationTests.load(#"""
            {"NATS": {"Servers": ["nats://a:4222", "tls://b:4222"], "Subject": "events.all", "SubjectPerType": true, "JetStream": true,
                      "Stream": "EV", "StreamReplicas": 3, "User": "u", "Password": "p", "Token": "t", "CACert": "ca.pem",
                      "Cert": "c.pem", "Key": "k.pem", "Consume": false, "Name": "edge-1", "Role": "writer", "Consumer": "w",
                      "WriterBatch": 100, "WriterAckWait": "10s"}}
            """#)
        let nats = try #require(config.nats)
        #expect(nats.servers == ["nats://a:4222", "tls://b:4222"] && nats.subject == "events.all" && nats.subjectPerType)
        #expect(nats.jetStream && nats.stream == "EV" && nats.streamReplicas == 3)
        #expect(nats.user == "u" && nats.password == "p" && nats.token == "t")
        #expect(nats.caCert == "ca.pem" && nats.cert == "c.pem" && nats.key == "k.pem")
        #expect(!nats.consume && nats.name == "edge-1" && nats.role == "writer" && nats.consumer == "w")
        #expect(nats.writerBatch == 100 && nats.writerAckWaitSeconds == 10)
    }

    @Test func defaultsAndRolesNeedJetStream() throws {
        let nats = try #require(try HTTPSConfigurationTests.load(#"{"NATS": {"Servers": ["nats://localhost:4222"]}}"#).nats)
        #expect(nats.subject == "toc.track.notify" && !nats.jetStream && nats.consume && nats.role == "all")
        let ingest = try #require(try HTTPSConfigurationTests.load(#"{"NATS": {"Servers": ["nats://x:1"], "Role": "ingest"}}"#).nats)
        #expect(ingest.jetStream)
    }

    @Test func mistakesAreReported() {
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {}}"#).contains("at least one server URL"))
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {"Servers": ["http://x"]}}"#).contains("expected nats://host:port"))
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {"Servers": ["nats://x:1"], "Subject": "a b"}}"#).contains("not a NATS subject"))
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {"Servers": ["nats://x:1"], "Subject": "a.>"}}"#).contains("not a NATS subject"))
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {"Servers": ["nats://x:1"], "Role": "boss"}}"#).contains("\"ingest\""))
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {"Servers": ["nats://x:1"], "Cert": "c.pem"}}"#).contains("Cert and Key go together"))
        #expect(HTTPSConfigurationTests.problems(#"{"NATS": {"Servers": ["nats://x:1"], "Colour": 1}}"#).contains("unknown key"))
    }
}
