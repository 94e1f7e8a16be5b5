import TrackerCore

/// `NATS`: the event bus. docs/configuration.md §NATS documents every key.
public struct NATSConfiguration: Sendable, Equatable {
    public var servers: [String] = []
    public var subject = "toc.track.notify"
    public var subjectPerType = false
    /// Publish through JetStream (acknowledged, deduplicated by event id) instead of core NATS.
    public var jetStream = false
    /// The JetStream stream holding the subject(s); created or updated at start.
    public var stream = "TRACKER_EVENTS"
    public var streamReplicas = 1
    public var user: String?
    public var password: String?
    public var token: String?
    public var caCert: String?
    public var cert: String?
    public var key: String?
    /// Consume `tic.log.>`, `tic.count.>` and `tic.update.>` in queue group `tracker`.
    public var consume = true
    public var name = "tracker"
    /// "all" (one node does everything), "ingest" (acknowledges once JetStream has the event,
    /// writes nothing) or "writer" (moves events from the stream into the store).
    public var role = "all"
    /// The durable consumer all writer nodes share.
    public var consumer = "writers"
    public var writerBatch = 500
    /// How long a writer has to store and acknowledge a batch before JetStream redelivers it.
    public var writerAckWaitSeconds = 30.0

    public init(servers: [String] = []) {
        self.servers = servers
    }

    static let keys: Set<String> = ["Servers", "Subject", "SubjectPerType", "JetStream", "Stream", "StreamReplicas", "User", "Password",
                                    "Token", "CACert", "Cert", "Key", "Consume", "Name", "Role", "Consumer", "WriterBatch", "WriterAckWait"]

    static func read(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> NATSConfiguration? {
        r.objectList(.array([value]), path, keys: keys) { r, fields, _ in
            var nats = NATSConfiguration()
            if let v = fields["Servers"], let list = r.stringList(v, "\(path).Servers") {
                for (i, url) in list.enumerated() where !(url.hasPrefix("nats://") || url.hasPrefix("tls://")) {
                    r.problem("\(path).Servers[\(i)]", "expected nats://host:port or tls://host:port")
                }
                nats.servers = list
            }
            if nats.servers.isEmpty { r.problem("\(path).Servers", "at least one server URL is required") }
            if let v = fields["Subject"], let subject = r.string(v, "\(path).Subject") {
                if validSubject(subject) { nats.subject = subject } else { r.problem("\(path).Subject", "not a NATS subject: \(subject)") }
            }
            if let v = fields["SubjectPerType"], let on = r.bool(v, "\(path).SubjectPerType") { nats.subjectPerType = on }
            if let v = fields["JetStream"], let on = r.bool(v, "\(path).JetStream") { nats.jetStream = on }
            if let v = fields["Stream"], let name = r.string(v, "\(path).Stream") {
                if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { nats.stream = name }
                else { r.problem("\(path).Stream", "a stream name is letters, digits, _ and -") }
            }
            if let v = fields["StreamReplicas"], let count = r.int(v, "\(path).StreamReplicas", min: 1) { nats.streamReplicas = min(count, 5) }
            if let v = fields["User"] { nats.user = r.string(v, "\(path).User") }
            if let v = fields["Password"] { nats.password = r.string(v, "\(path).Password") }
            if let v = fields["Token"] { nats.token = r.string(v, "\(path).Token") }
            if let v = fields["CACert"] { nats.caCert = r.string(v, "\(path).CACert") }
            if let v = fields["Cert"] { nats.cert = r.string(v, "\(path).Cert") }
            if let v = fields["Key"] { nats.key = r.string(v, "\(path).Key") }
            if (nats.cert == nil) != (nats.key == nil) { r.problem(path, "Cert and Key go together") }
            if let v = fields["Consume"], let on = r.bool(v, "\(path).Consume") { nats.consume = on }
            if let v = fields["Name"], let name = r.string(v, "\(path).Name") { nats.name = name }
            if let v = fields["Role"], let role = r.string(v, "\(path).Role") {
                if ["all", "ingest", "writer"].contains(role) { nats.role = role }
                else { r.problem("\(path).Role", "expected \"all\", \"ingest\" or \"writer\"") }
            }
            if let v = fields["Consumer"], let name = r.string(v, "\(path).Consumer") {
                if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { nats.consumer = name }
                else { r.problem("\(path).Consumer", "a consumer name is letters, digits, _ and -") }
            }
            if let v = fields["WriterAckWait"], let seconds = r.duration(v, "\(path).WriterAckWait") { nats.writerAckWaitSeconds = max(seconds, 1) }
            if let v = fields["WriterBatch"], let size = r.int(v, "\(path).WriterBatch", min: 1) { nats.writerBatch = min(size, 10_000) }
            // Scale-out goes through the stream: both roles need JetStream.
            if nats.role != "all" { nats.jetStream = true }
            return nats
        }?.first
    }

    static func validSubject(_ subject: String) -> Bool {
        !subject.isEmpty && !subject.hasPrefix(".") && !subject.hasSuffix(".") && !subject.contains("..")
            && subject.unicodeScalars.allSatisfy { $0.value > 32 && $0.value != 127 && $0 != "*" && $0 != ">" }
    }
}
