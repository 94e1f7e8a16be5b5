/// Limits on what one request may carry; past them the request is rejected, not truncated.
public struct HitLimits: Sendable, Equatable {
    public var maxFields: Int
    public var maxValueLength: Int
    public var maxBatchEvents: Int
    public var ignoreQueryParamsKey: String?

    public init(maxFields: Int = 200, maxValueLength: Int = 8192, maxBatchEvents: Int = 100,
                ignoreQueryParamsKey: String? = "igqp") {
        self.maxFields = maxFields
        self.maxValueLength = maxValueLength
        self.maxBatchEvents = maxBatchEvents
        self.ignoreQueryParamsKey = ignoreQueryParamsKey
    }
}

/// Turns a request into one value map per event, in upstream's merge order (spec §3): User header,
/// cookies (`vid`, `CookieConsent` → `cflags`, `sid`), URL path tuplets, query string (`utm_` removed),
/// then the JSON body, each later source overriding earlier keys. Unlike upstream, values keep
/// their case and type, and a body that is not JSON is an error rather than silently ignored.
/// A JSON array body is a batch: one event per object, all sharing the request's other values.
public struct HitParser: Sendable {
    public let limits: HitLimits

    public init(limits: HitLimits) {
        self.limits = limits
    }

    public func parse(_ hit: RawHit) throws(Rejection) -> [[String: JSONValue]] {
        var base = [String: JSONValue](minimumCapacity: 12)
        // The `User` header, else the `user` cookie (upstream meant to read it but never did, §18.6).
        let user = hit.userHeader ?? hit.cookies["user"].map { PercentDecoding.decode(Substring($0), plusIsSpace: false) }
        if let user, case .object(let fields)? = try? JSONParser.parse(user) {
            merge(fields, into: &base)
        }
        if let vid = hit.cookies["vid"], !vid.isEmpty { base["vid"] = .string(vid) }
        if let consent = hit.cookies["CookieConsent"], let flags = Int64(consent) { base["cflags"] = .number(Double(flags)) }
        if let sid = hit.cookies["sid"], !sid.isEmpty { base["sid"] = .string(sid) }
        for (key, value) in PathTuplets.pairs(hit.tuplets) { base[key] = .string(value) }
        if let query = hit.query, !query.isEmpty {
            let pairs = PercentDecoding.queryPairs(query)
            let ignored = limits.ignoreQueryParamsKey.map { key in pairs.contains { $0.0 == key } } ?? false
            if !ignored {
                for (key, value) in pairs where !key.isEmpty {
                    base[Self.queryKey(key)] = .string(value)
                }
            }
        }
        var events = [base]
        // Only /tr/ and /str/ take bodies: a pixel, a redirect or a file is never an upload (§18.19).
        if hit.route == .tr || hit.route == .str, hit.method == "POST" || hit.method == "PUT", !hit.body.isEmpty {
            events = try bodyEvents(hit, base: base)
        }
        for index in events.indices {
            Self.liftContent(&events[index])
            try check(events[index])
        }
        return events
    }

    /// `utm_source` → `source`, every `utm_` removed, key lower-cased (upstream §3 step 8).
    static func queryKey(_ key: String) -> String {
        ASCII.removing("utm_", from: key.lowercased())
    }

    /// `content` (from `utm_content`) becomes the event name when no `ename` was given.
    static func liftContent(_ values: inout [String: JSONValue]) {
        if values["ename"] == nil, case .string(let content)? = values["content"] {
            values["ename"] = .string(content)
            values["content"] = nil
        }
    }

    func bodyEvents(_ hit: RawHit, base: [String: JSONValue]) throws(Rejection) -> [[String: JSONValue]] {
        let type = hit.contentType?.lowercased() ?? ""
        let firstByte = hit.body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let looksLikeJSON = firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")
        if type.hasPrefix("application/x-www-form-urlencoded"), !looksLikeJSON {
            var values = base
            for (key, value) in PercentDecoding.queryPairs(String(decoding: hit.body, as: UTF8.self)) where !key.isEmpty {
                values[Self.queryKey(key)] = .string(value)
            }
            return [values]
        }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(hit.body)
        } catch {
            throw Rejection(.malformedJSON, error.description)
        }
        switch parsed {
        case .object(let fields):
            var values = base
            merge(fields, into: &values)
            return [values]
        case .array(let items):
            guard !items.isEmpty else { throw Rejection(.malformedJSON, "the batch is empty") }
            guard items.count <= limits.maxBatchEvents else {
                throw Rejection(.tooManyEvents, "\(items.count) events, the limit is \(limits.maxBatchEvents)")
            }
            return try items.enumerated().map { (index, item) throws(Rejection) in
                guard case .object(let fields) = item else {
                    throw Rejection(.malformedJSON, "batch item \(index) is not an object")
                }
                var values = base
                merge(fields, into: &values)
                return values
            }
        default:
            throw Rejection(.malformedJSON, "the body must be a JSON object or an array of objects")
        }
    }

    /// Body keys are lower-cased (upstream is case-insensitive on keys); nulls are skipped.
    func merge(_ fields: [String: JSONValue], into values: inout [String: JSONValue]) {
        if values.capacity < values.count + fields.count { values.reserveCapacity(values.count + fields.count) }
        for (key, value) in fields where !value.isNull {
            if key == "params", case .object(let inner) = value, case .object(let existing)? = values["params"] {
                values["params"] = .object(existing.merging(inner) { $1 })
            } else {
                // ASCII keys (nearly all) without Unicode case mapping, and without a copy when
                // already lower case.
                values[key.utf8.allSatisfy { $0 < 0x80 } ? ASCII.lowercased(key) : key.lowercased()] = value
            }
        }
    }

    func check(_ values: [String: JSONValue]) throws(Rejection) {
        var count = 0
        for (key, value) in values {
            count += 1
            if case .object(let inner) = value, key == "params" {
                count += inner.count - 1
                for (innerKey, innerValue) in inner { try checkLength(innerKey, innerValue) }
            } else {
                try checkLength(key, value)
            }
        }
        guard count <= limits.maxFields else {
            throw Rejection(.tooManyFields, "\(count) fields, the limit is \(limits.maxFields)")
        }
    }

    func checkLength(_ key: String, _ value: JSONValue) throws(Rejection) {
        let length: Int
        switch value {
        case .string(let s): length = s.utf8.count
        case .array, .object: length = JSONWriter.serialize(value).utf8.count
        default: length = 0
        }
        guard length <= limits.maxValueLength, key.utf8.count <= 256 else {
            throw Rejection(.valueTooLong, "field \(key) has \(length) bytes, the limit is \(limits.maxValueLength)")
        }
    }
}
