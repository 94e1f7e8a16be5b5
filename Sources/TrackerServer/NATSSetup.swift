import Logging
import NATSClient
import TrackerConfig
import TrackerNATS

/// The `NATS` section made real: a connection made in the background (NATS being down does not
/// stop the tracker; publishes wait in the client's buffer), the event publisher, its service.
struct NATSSetup {
    let connection: NATSConnection
    let publisher: EventPublisher
    let service: NATSBusService

    init(configuration c: NATSConfiguration, logger: Logger) throws {
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
    }
}
