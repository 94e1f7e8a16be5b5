/// One event's values as the request sent them, before the pipeline gives them a meaning: the
/// `HitKey`s it carries in a short list (an event sends a few to a few dozen; comparing one byte
/// each beats hashing a string), and the other keys, which end up in `params`, by name. Keys are
/// lower case, as `HitParser` makes them; a lookup by name is exact.
public struct HitValues: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Entry: Sendable, Equatable {
        public let key: HitKey
        public var value: JSONValue
    }

    /// The known keys present, in no particular order, each once.
    public private(set) var entries: [Entry] = []
    /// The keys that are not a `HitKey`.
    public private(set) var extra: [String: JSONValue] = [:]

    public init() {}

    /// Room for a typical browser event's keys made at once, not by growing.
    init(capacity: Int) {
        entries = Array(unsafeUninitializedCapacity: capacity) { _, count in count = 0 }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (name, value) in elements { self[name] = value }
    }

    /// Which keys are present, one bit per key: setting a key the map does not hold yet (nearly
    /// every set) needs no search.
    var present: (UInt64, UInt64) = (0, 0)

    func has(_ key: HitKey) -> Bool {
        let bit = key.rawValue
        return bit < 64 ? present.0 & (1 << bit) != 0 : present.1 & (1 << (bit - 64)) != 0
    }

    mutating func mark(_ key: HitKey, _ on: Bool) {
        let bit = key.rawValue
        if bit < 64 {
            present.0 = on ? present.0 | (1 << bit) : present.0 & ~(1 << bit)
        } else {
            present.1 = on ? present.1 | (1 << (bit - 64)) : present.1 & ~(1 << (bit - 64))
        }
    }

    func index(of key: HitKey) -> Int? {
        guard has(key) else { return nil }
        var index = 0
        while index < entries.count {
            if entries[index].key == key { return index }
            index += 1
        }
        return nil
    }

    public subscript(key: HitKey) -> JSONValue? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let newValue { set(key, newValue) } else { _ = take(key) }
        }
    }

    public mutating func set(_ key: HitKey, _ value: JSONValue) {
        if let index = index(of: key) {
            entries[index].value = value
        } else {
            entries.append(Entry(key: key, value: value))
            mark(key, true)
        }
    }

    public subscript(name: String) -> JSONValue? {
        get { HitKey(name: name).map { self[$0] } ?? extra[name] }
        set {
            if let key = HitKey(name: name) { self[key] = newValue } else { extra[name] = newValue }
        }
    }

    /// Removes and returns the value, so that what no step takes is left for `params`.
    public mutating func take(_ key: HitKey) -> JSONValue? {
        guard let index = index(of: key) else { return nil }
        mark(key, false)
        if index != entries.count - 1 { entries.swapAt(index, entries.count - 1) }
        return entries.removeLast().value
    }

    /// Removes the known keys `consume` says it used (the `columns` step), in one pass.
    public mutating func consume(_ consume: (Entry) -> Bool) {
        entries.removeAll(where: consume)
        present = (0, 0)
        for entry in entries { mark(entry.key, true) }
    }

    /// Sets a value by its key's UTF-8, lower-casing the key first (body and `User` header keys:
    /// upstream is case-insensitive on them). A key already in lower case, nearly all, is found
    /// from its bytes without making a string.
    mutating func set(utf8 key: UnsafeBufferPointer<UInt8>, _ value: JSONValue) {
        if !key.contains(where: { $0 >= UInt8(ascii: "A") && ($0 <= UInt8(ascii: "Z") || $0 >= 0x80) }) {
            if let known = HitKey(utf8: key) { set(known, value) } else { extra[String(decoding: key, as: UTF8.self)] = value }
            return
        }
        let text = String(decoding: key, as: UTF8.self)
        self[ASCII.lowercasedText(text)] = value
    }

    public var isEmpty: Bool { entries.isEmpty && extra.isEmpty }
    public var count: Int { entries.count + extra.count }

    /// Equal when they hold the same keys and values, whatever the order they were set in.
    public static func == (lhs: HitValues, rhs: HitValues) -> Bool {
        lhs.extra == rhs.extra && lhs.entries.count == rhs.entries.count
            && lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
    }

    public struct Iterator: IteratorProtocol {
        var known: IndexingIterator<[Entry]>
        var others: Dictionary<String, JSONValue>.Iterator

        public mutating func next() -> (key: String, value: JSONValue)? {
            if let entry = known.next() { return (entry.key.name, entry.value) }
            return others.next()
        }
    }

    public func makeIterator() -> Iterator { Iterator(known: entries.makeIterator(), others: extra.makeIterator()) }
}
