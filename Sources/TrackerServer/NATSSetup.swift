import Logging
import NATSClient
import ServiceLifecycle
import TrackerConfig
import TrackerCore
import TrackerNATS
import TrackerStorage

/// The `NATS` section made real: a connection made in the background (NATS being down does not
/// stop the tracker; publishes wait in the client's buffer), the event publisher, its service.
struct NATSSetup {
    let connection: NATSConnection
    let publisher: EventPublisher
    let service: NATSBusService
    let consumer: ServerMessageConsumer?
    let writer: StreamWriter?
    /// An ingest node's ack point.
    let ingestSink: JetStreamSink

    init(configuration c: NATSConfiguration, messageStore: (any ServerMessageStore)?, eventStore: any EventSink,
         clock: any TrackerClock, logger: Logger) throws {
        var options = NATSOptions(servers: c.servers)
        options.name = c.name
        options.user = c.user
        options.password = c.password
        options.token = c.token
        options.tlsCAFile = c.caCert
        options.tlsCertificateFile = c.cert
        options.tlsKeyFile = c.key
        connection = try NATSConnection.start(options, logger: logger)
        var publishing = EventPublisher.Options()
        publishing.subject = c.subject
        publishing.subjectPerType = c.subjectPerType
        publishing.jetStream = c.jetStream
        publisher = EventPublisher(connection: connection, options: publishing, logger: logger)
        var stream: JetStream.StreamConfig?
        if c.jetStream {
            var config = JetStream.StreamConfig(name: c.stream, subjects: c.subjectPerType ? [c.subject + ".>"] : [c.subject])
            config.num_replicas = c.streamReplicas
            stream = config
        }
        service = NATSBusService(connection: connection, stream: stream, logger: logger)
        let subjects = c.subjectPerType ? c.subject + ".>" : c.subject
        let publisher = self.publisher
        ingestSink = JetStreamSink(connection: connection, subject: { publisher.subject(for: $0) })
        writer = c.role == "writer"
            ? StreamWriter(connection: connection, store: eventStore, stream: c.stream, consumer: c.consumer, subject: subjects,
                           batchSize: c.writerBatch, ackWait: .milliseconds(Int64(c.writerAckWaitSeconds * 1000)), logger: logger)
            : nil
        if c.consume, let messageStore {
            consumer = ServerMessageConsumer(connection: connection, store: messageStore, clock: clock, logger: logger)
        } else {
            if c.consume { logger.warning("this store does not keep tic.* server messages yet; they are not consumed") }
            consumer = nil
        }
    }

    /// The connection first (it stops last, after the queue drained and the consumer stored).
    var services: [any Service] { [service] + (consumer.map { [$0] } ?? []) + (writer.map { [$0] } ?? []) }

    var statusSections: [String: @Sendable () -> JSONValue] {
        let publisher = self.publisher, consumer = self.consumer
        var sections: [String: @Sendable () -> JSONValue] = ["nats": { publisher.statusJSON }]
        if let consumer { sections["nats_consumer"] = { consumer.statusJSON } }
        if let writer { sections["nats_writer"] = { writer.statusJSON } }
        return sections
    }
}
