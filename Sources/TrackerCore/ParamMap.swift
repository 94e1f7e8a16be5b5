/// An event's free-form maps, `params` (text) and `nparams` (numbers): names to values, in the
/// order they were added. An event has a handful of them, so they are a list searched in turn:
/// as two dictionaries they were allocated, and each name hashed on the way in, for every event
/// with a parameter, then walked and sorted to be stored. The pipeline adds names it already
/// knows to be new without a search (`append(new:_:)`); equality ignores the order, as a
/// dictionary's does.
public struct ParamMap<Value: Sendable & Equatable>: Sendable, Equatable, RandomAccessCollection,
    ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: Value)

    @usableFromInline struct Entry: Sendable {
        @usableFromInline var key: String
        @usableFromInline var value: Value

        @inlinable init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline var entries: [Entry]

    @inlinable public init() { entries = [] }

    public init(minimumCapacity: Int) {
        entries = []
        entries.reserveCapacity(minimumCapacity)
    }

    /// A name given twice keeps its last value.
    public init(dictionaryLiteral elements: (String, Value)...) {
        entries = []
        for (key, value) in elements { self[key] = value }
    }

    public init(_ dictionary: [String: Value]) {
        entries = dictionary.map { Entry(key: $0.key, value: $0.value) }
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { entries.count }
    @inlinable public subscript(position: Int) -> Element { (entries[position].key, entries[position].value) }

    public subscript(key: String) -> Value? {
        get { index(of: key).map { entries[$0].value } }
        set {
            switch (index(of: key), newValue) {
            case let (index?, value?): entries[index].value = value
            case let (index?, nil): entries.remove(at: index)
            case let (nil, value?): entries.append(Entry(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Adds a name the caller knows is not in the map yet (no search: see the type's comment).
    @inlinable public mutating func append(new key: String, _ value: Value) {
        assert(!entries.contains { $0.key == key }, "\(key) is already in the map")
        entries.append(Entry(key: key, value: value))
    }

    public var keys: [String] { entries.map(\.key) }
    public var values: [Value] { entries.map(\.value) }

    /// As a dictionary, for the code that needs one (the spool's JSON object).
    public var dictionary: [String: Value] {
        Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
    }

    public var description: String { dictionary.description }

    func index(of key: String) -> Int? {
        entries.firstIndex { $0.key == key }
    }
}
