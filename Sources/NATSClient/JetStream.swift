import Foundation

/// JetStream through its `$JS.API` request subjects: streams, durable pull consumers, publishes
/// acknowledged by the stream (deduplicated by `Nats-Msg-Id`), batched fetches, ack/nak.
public struct JetStream: Sendable {
    public let connection: NATSConnection
    public let timeout: Duration

    public init(_ connection: NATSConnection, timeout: Duration = .seconds(5)) {
        self.connection = connection
        self.timeout = timeout
    }

    /// An error JetStream answered (`{"error": {"code", "err_code", "description"}}`).
    public struct APIError: Error, Equatable, Decodable, CustomStringConvertible {
        public var code: Int
        public var err_code: Int?
        public var description: String

        /// The stream or consumer does not exist.
        public var isNotFound: Bool { code == 404 }
    }

    struct Envelope<T: Decodable>: Decodable {
        var error: APIError?
        var value: T?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            error = try container.decodeIfPresent(APIError.self, forKey: .error)
            value = error == nil ? try T(from: decoder) : nil
        }

        enum Key: String, CodingKey { case error }
    }

    public struct StreamConfig: Codable, Sendable, Equatable {
        public var name: String
        public var subjects: [String]
        /// "file" or "memory".
        public var storage = "file"
        public var num_replicas = 1
        /// The window in which a repeated `Nats-Msg-Id` is recognised, in nanoseconds.
        public var duplicate_window: Int64 = 120_000_000_000
        public var max_bytes: Int64 = -1
        public var max_age: Int64 = 0
        /// "limits", "interest" or "workqueue".
        public var retention = "limits"

        public init(name: String, subjects: [String]) {
            self.name = name
            self.subjects = subjects
        }
    }

    public struct StreamState: Decodable, Sendable {
        public var messages: Int
        public var bytes: Int
        public var first_seq: Int
        public var last_seq: Int
    }

    public struct StreamInfo: Decodable, Sendable {
        public var config: StreamConfig
        public var state: StreamState
    }

    public struct PubAck: Decodable, Sendable, Equatable {
        public var stream: String
        public var seq: Int
        public var duplicate: Bool?
    }

    public struct ConsumerConfig: Codable, Sendable, Equatable {
        public var durable_name: String
        public var ack_policy = "explicit"
        /// How long a delivered message waits for its ack before redelivery, in nanoseconds.
        public var ack_wait: Int64 = 30_000_000_000
        public var max_deliver = -1
        public var filter_subject: String?
        public var max_ack_pending = 20_000
        public var deliver_policy = "all"

        public init(durable: String) {
            durable_name = durable
        }
    }

    public struct ConsumerInfo: Decodable, Sendable {
        public var name: String
        public var num_pending: Int
        public var num_ack_pending: Int
        public var num_redelivered: Int
    }

    func call<T: Decodable>(_ subject: String, _ body: some Encodable, as type: T.Type) async throws -> T {
        let payload = try JSONEncoder().encode(body)
        let reply = try await connection.request("$JS.API." + subject, payload: Array(payload), timeout: timeout)
        let envelope = try JSONDecoder().decode(Envelope<T>.self, from: Data(reply.payload))
        if let error = envelope.error { throw error }
        guard let value = envelope.value else { throw NATSError.server("an empty JetStream answer") }
        return value
    }

    struct Empty: Encodable {}

    /// Creates the stream, or brings an existing one to this configuration.
    public func addOrUpdateStream(_ config: StreamConfig) async throws -> StreamInfo {
        do {
            return try await call("STREAM.CREATE.\(config.name)", config, as: StreamInfo.self)
        } catch let error as APIError where error.err_code == 10058 || error.description.contains("already in use") {
            return try await call("STREAM.UPDATE.\(config.name)", config, as: StreamInfo.self)
        }
    }

    public func streamInfo(_ name: String) async throws -> StreamInfo {
        try await call("STREAM.INFO.\(name)", Empty(), as: StreamInfo.self)
    }

    public func deleteStream(_ name: String) async throws {
        struct Deleted: Decodable { var success: Bool }
        _ = try await call("STREAM.DELETE.\(name)", Empty(), as: Deleted.self)
    }

    /// Publishes and waits for the stream's acknowledgement; the same `messageID` within the
    /// stream's duplicate window is stored once (the ack then says `duplicate`).
    public func publish(_ subject: String, payload: [UInt8], messageID: String? = nil, headers: NATSHeaders? = nil) async throws -> PubAck {
        var headers = headers ?? NATSHeaders()
        if let messageID { headers["Nats-Msg-Id"] = messageID }
        let reply: NATSMessage
        do {
            reply = try await connection.request(subject, payload: payload, headers: headers.fields.isEmpty ? nil : headers, timeout: timeout)
        } catch NATSError.noResponders {
            throw APIError(code: 503, err_code: nil, description: "no stream takes the subject \(subject)")
        }
        let envelope = try JSONDecoder().decode(Envelope<PubAck>.self, from: Data(reply.payload))
        if let error = envelope.error { throw error }
        guard let ack = envelope.value else { throw NATSError.server("an empty publish acknowledgement") }
        return ack
    }

    public func addOrUpdateConsumer(stream: String, _ config: ConsumerConfig) async throws -> ConsumerInfo {
        struct Request: Encodable { var stream_name: String; var config: ConsumerConfig }
        return try await call("CONSUMER.DURABLE.CREATE.\(stream).\(config.durable_name)",
                              Request(stream_name: stream, config: config), as: ConsumerInfo.self)
    }

    public func consumerInfo(stream: String, consumer: String) async throws -> ConsumerInfo {
        try await call("CONSUMER.INFO.\(stream).\(consumer)", Empty(), as: ConsumerInfo.self)
    }

    /// Up to `batch` messages of a durable pull consumer, waiting at most `expires` for them.
    public func fetch(stream: String, consumer: String, batch: Int, expires: Duration = .seconds(1)) async throws -> [JetStreamMessage] {
        let inbox = "_INBOX.fetch." + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let subscription = try connection.subscribe(inbox)
        defer { subscription.unsubscribe() }
        let nanoseconds = expires.components.seconds * 1_000_000_000 + expires.components.attoseconds / 1_000_000_000
        let request = "{\"batch\":\(batch),\"expires\":\(nanoseconds)}"
        try connection.publish("$JS.API.CONSUMER.MSG.NEXT.\(stream).\(consumer)", payload: Array(request.utf8), replyTo: inbox)
        let deadline = ContinuousClock.now + expires + .seconds(1)
        let connection = self.connection
        return try await withThrowingTaskGroup(of: [JetStreamMessage]?.self) { group in
            group.addTask {
                var messages: [JetStreamMessage] = []
                for await message in subscription {
                    if let status = message.headers?.status {
                        // 100 heartbeat: keep waiting; 404/408/409: the request is over.
                        if status == 100 { continue }
                        break
                    }
                    messages.append(JetStreamMessage(message: message, connection: connection))
                    if messages.count >= batch { break }
                }
                return messages
            }
            group.addTask {
                try await Task.sleep(until: deadline)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            subscription.unsubscribe()
            if let first { return first }
            // The deadline came first: what arrived so far.
            var late: [JetStreamMessage] = []
            while let result = try await group.next() { if let messages = result { late = messages } }
            return late
        }
    }
}

/// A message delivered by a pull consumer, with its acknowledgements.
public struct JetStreamMessage: Sendable {
    public let message: NATSMessage
    let connection: NATSConnection

    /// From the reply subject `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>`.
    public var streamSequence: Int? { field(5) }
    public var deliveries: Int? { field(4) }
    public var pending: Int? { field(8) }

    func field(_ index: Int) -> Int? {
        guard let reply = message.replyTo else { return nil }
        let parts = reply.split(separator: ".")
        // Newer servers add domain and account hash tokens after `$JS.ACK`.
        let offset = parts.count >= 12 ? 2 : 0
        guard parts.count > index + offset else { return nil }
        return Int(parts[index + offset])
    }

    public func ack() throws { try reply("+ACK") }
    /// Redeliver (after `delay` if given).
    public func nak(delay: Duration? = nil) throws {
        if let delay {
            let ns = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
            try reply("-NAK {\"delay\":\(ns)}")
        } else {
            try reply("-NAK")
        }
    }
    public func inProgress() throws { try reply("+WPI") }
    /// Never redeliver.
    public func terminate() throws { try reply("+TERM") }

    /// An ack the server confirms: returns once the stream recorded it.
    public func ackSync(timeout: Duration = .seconds(5)) async throws {
        guard let subject = message.replyTo else { return }
        _ = try await connection.request(subject, payload: Array("+ACK".utf8), timeout: timeout)
    }

    func reply(_ text: String) throws {
        guard let subject = message.replyTo else { return }
        try connection.publish(subject, payload: Array(text.utf8))
    }
}
