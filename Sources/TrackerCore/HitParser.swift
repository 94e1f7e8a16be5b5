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

    public func parse(_ hit: RawHit) throws(Rejection) -> [HitValues] {
        var base = HitValues(capacity: 24)
        // The `User` header, else the `user` cookie (upstream meant to read it but never did, §18.6).
        let user = hit.userHeader ?? hit.cookies.user.map { PercentDecoding.decode(Substring($0), plusIsSpace: false) }
        if let user {
            var withUser: HitValues?
            if (try? Self.objects(in: Array(user.utf8), base: base) { withUser = $0 }) == .object, let withUser { base = withUser }
        }
        if let vid = hit.cookies.vid, !vid.isEmpty { base[.vid] = .string(vid) }
        if let consent = hit.cookies.consent, let flags = Int64(consent) { base[.cflags] = .number(Double(flags)) }
        if let sid = hit.cookies.sid, !sid.isEmpty { base[.sid] = .string(sid) }
        for (key, value) in PathTuplets.pairs(hit.tuplets) { base[key] = .string(value) }
        if let query = hit.query, !query.isEmpty {
            let ignored = limits.ignoreQueryParamsKey.map { PercentDecoding.containsKey($0, in: query) } ?? false
            if !ignored {
                PercentDecoding.forEachQueryPair(query) { key, value in Self.setQueryPair(key, value, in: &base) }
            }
        }
        // Only /tr/ and /str/ take bodies: a pixel, a redirect or a file is never an upload (§18.19).
        // `base` handed over, not shared: the steps' first change would otherwise copy it.
        var events: [HitValues]
        if hit.route == .tr || hit.route == .str, hit.method == "POST" || hit.method == "PUT", !hit.body.isEmpty {
            events = try bodyEvents(hit, base: consume base)
        } else {
            events = [consume base]
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

    /// A query (or form) pair stored under `queryKey(key)`; an empty key is skipped. ASCII keys
    /// (nearly all) are rewritten on the stack and looked up from their bytes.
    static func setQueryPair(_ key: UnsafeBufferPointer<UInt8>, _ value: String, in values: inout HitValues) {
        guard !key.isEmpty else { return }
        guard key.allSatisfy({ $0 < 0x80 }) else {
            values[queryKey(String(decoding: key, as: UTF8.self))] = .string(value)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.count) { out in
            func lower(_ byte: UInt8) -> UInt8 { byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte }
            var count = 0
            var i = 0
            while i < key.count {
                if i + 4 <= key.count, lower(key[i]) == UInt8(ascii: "u"), lower(key[i + 1]) == UInt8(ascii: "t"),
                   lower(key[i + 2]) == UInt8(ascii: "m"), key[i + 3] == UInt8(ascii: "_") {
                    i += 4
                    continue
                }
                out[count] = lower(key[i])
                count += 1
                i += 1
            }
            values.set(utf8: UnsafeBufferPointer(rebasing: out[..<count]), .string(value))
        }
    }

    /// `content` (from `utm_content`) becomes the event name when no `ename` was given.
    static func liftContent(_ values: inout HitValues) {
        if values[.ename] == nil, case .string(let content)? = values[.content] {
            values[.ename] = .string(content)
            values[.content] = nil
        }
    }

    func bodyEvents(_ hit: RawHit, base: consuming HitValues) throws(Rejection) -> [HitValues] {
        let firstByte = hit.body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let looksLikeJSON = firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")
        if let type = hit.contentType, ASCII.hasPrefixIgnoringCase(type, lowercase: "application/x-www-form-urlencoded"), !looksLikeJSON {
            var values = base
            PercentDecoding.forEachQueryPair(String(decoding: hit.body, as: UTF8.self)) { key, value in
                Self.setQueryPair(key, value, in: &values)
            }
            return [values]
        }
        var events: [HitValues] = []
        events.reserveCapacity(1)
        let shape: BodyShape
        do {
            // Past the batch limit the items are still parsed (a syntax error anywhere is the
            // answer) but no longer kept.
            shape = try Self.objects(in: hit.body, base: consume base) { if events.count <= limits.maxBatchEvents { events.append($0) } }
        } catch {
            throw Rejection(.malformedJSON, error.description)
        }
        switch shape {
        case .object:
            return events
        case .array(let items, let firstNonObject):
            guard items > 0 else { throw Rejection(.malformedJSON, "the batch is empty") }
            guard items <= limits.maxBatchEvents else {
                throw Rejection(.tooManyEvents, "\(items) events, the limit is \(limits.maxBatchEvents)")
            }
            if let firstNonObject { throw Rejection(.malformedJSON, "batch item \(firstNonObject) is not an object") }
            return events
        case .other:
            throw Rejection(.malformedJSON, "the body must be a JSON object or an array of objects")
        }
    }

    enum BodyShape: Equatable {
        case object
        case array(items: Int, firstNonObject: Int?)
        case other
    }

    /// Parses a JSON document straight into value maps: for the object, or each object of an
    /// array, a copy of `base` with its members merged (`merge`), handed to `event`. No
    /// dictionary is built for the members, and plain keys are found by their bytes.
    static func objects(in bytes: [UInt8], base: consuming HitValues, _ event: (HitValues) -> Void) throws(JSONParser.Failure) -> BodyShape {
        var base = base
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONParser.Failure) in
            var cursor = JSONParser.Cursor(bytes: buffer)
            func object(_ values: consuming HitValues) throws(JSONParser.Failure) {
                var values = values
                try cursor.members(depth: 1) { key, value in merge(key, value, into: &values) }
                event(values)
            }
            cursor.skipWhitespace()
            let shape: BodyShape
            switch cursor.index < buffer.count ? buffer[cursor.index] : 0 {
            case UInt8(ascii: "{"):
                // A single event takes the base values over: a copy would be copied again on
                // its first change.
                var taken = HitValues()
                swap(&taken, &base)
                try object(consume taken)
                shape = .object
            case UInt8(ascii: "["):
                cursor.index += 1
                var items = 0
                var firstNonObject: Int?
                cursor.skipWhitespace()
                if cursor.index < buffer.count, buffer[cursor.index] == UInt8(ascii: "]") {
                    cursor.index += 1
                } else {
                    while true {
                        cursor.skipWhitespace()
                        if cursor.index < buffer.count, buffer[cursor.index] == UInt8(ascii: "{") {
                            try object(base)
                        } else {
                            _ = try cursor.value(depth: 1)
                            if firstNonObject == nil { firstNonObject = items }
                        }
                        items += 1
                        cursor.skipWhitespace()
                        guard cursor.index < buffer.count else { throw cursor.fail("unexpected end of input") }
                        if buffer[cursor.index] == UInt8(ascii: ",") { cursor.index += 1; continue }
                        if buffer[cursor.index] == UInt8(ascii: "]") { cursor.index += 1; break }
                        throw cursor.fail("expected ',' or ']'")
                    }
                }
                shape = .array(items: items, firstNonObject: firstNonObject)
            default:
                _ = try cursor.value(depth: 0)
                shape = .other
            }
            cursor.skipWhitespace()
            guard cursor.index == buffer.count else { throw cursor.fail("unexpected data after the value") }
            return shape
        }
    }

    /// Keys are lower-cased (upstream is case-insensitive on keys); nulls are skipped; a nested
    /// `params` object adds to one already there.
    static func merge(_ key: JSONKey, _ value: JSONValue, into values: inout HitValues) {
        if value.isNull { return }
        if case .object(let inner) = value, key.isParams, case .object(let existing)? = values[.params] {
            values[.params] = .object(existing.merging(inner) { $1 })
            return
        }
        switch key {
        case .bytes(let bytes): values.set(utf8: bytes, value)
        case .text(var text): text.withUTF8 { values.set(utf8: $0, value) }
        }
    }

    /// Known keys are checked by their tag (their names are short; a name is made only for an
    /// error), the others by name: comparing every key's text with "params" showed in the
    /// profile of every browser event.
    func check(_ values: HitValues) throws(Rejection) {
        var count = values.entries.count + values.extra.count
        for entry in values.entries {
            if entry.key == .params, case .object(let inner) = entry.value {
                count += inner.count - 1
                for (innerKey, innerValue) in inner { try checkLength(innerKey, innerValue) }
            } else {
                try checkLength(entry.value) { entry.key.name }
            }
        }
        for (key, value) in values.extra { try checkLength(key, value) }
        guard count <= limits.maxFields else {
            throw Rejection(.tooManyFields, "\(count) fields, the limit is \(limits.maxFields)")
        }
    }

    func checkLength(_ key: String, _ value: JSONValue) throws(Rejection) {
        guard key.utf8.count <= 256 else { throw tooLong(key, value) }
        try checkLength(value) { key }
    }

    func checkLength(_ value: JSONValue, _ key: () -> String) throws(Rejection) {
        guard Self.length(value) <= limits.maxValueLength else { throw tooLong(key(), value) }
    }

    static func length(_ value: JSONValue) -> Int {
        switch value {
        case .string(let s): return s.utf8.count
        case .array, .object: return JSONWriter.serialize(value).utf8.count
        default: return 0
        }
    }

    func tooLong(_ key: String, _ value: JSONValue) -> Rejection {
        Rejection(.valueTooLong, "field \(key) has \(Self.length(value)) bytes, the limit is \(limits.maxValueLength)")
    }
}
