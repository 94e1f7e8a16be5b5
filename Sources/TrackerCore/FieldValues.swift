/// A field enum whose cases have one-byte tags in declaration order (see Event.swift).
public protocol TaggedField: CaseIterable, Hashable, Sendable {
    var tag: UInt8 { get }
    /// The cases by tag, made once (a synthesized `allCases` builds a new array per call).
    static var byTag: [Self] { get }
}

extension EventField: TaggedField {
    public static let byTag = Array(allCases)
}

extension NumericField: TaggedField {
    public static let byTag = Array(allCases)
}

/// An event's column values, one slot per field, indexed by the field's tag. Every event is
/// built, read by every sink and freed on the hot path: a dictionary hashed each key on each
/// access and reallocated as it grew. Iterates present fields in declaration order.
public struct FieldValues<Field: TaggedField, Value: Sendable & Equatable>: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    @usableFromInline var slots: [Value?]

    public init() {
        slots = Array(repeating: nil, count: Field.byTag.count)
    }

    public init(dictionaryLiteral elements: (Field, Value)...) {
        self.init()
        for (field, value) in elements { self[field] = value }
    }

    public init(_ values: [Field: Value]) {
        self.init()
        for (field, value) in values { self[field] = value }
    }

    @inlinable public subscript(field: Field) -> Value? {
        get { slots[Int(field.tag)] }
        set { slots[Int(field.tag)] = newValue }
    }

    public var count: Int { slots.reduce(0) { $1 == nil ? $0 : $0 + 1 } }
    public var isEmpty: Bool { slots.allSatisfy { $0 == nil } }
    public var keys: [Field] { map(\.key) }
    public var values: [Value] { map(\.value) }

    public struct Iterator: IteratorProtocol {
        let slots: [Value?]
        var index = 0

        public mutating func next() -> (key: Field, value: Value)? {
            while index < slots.count {
                defer { index += 1 }
                if let value = slots[index] { return (Field.byTag[index], value) }
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(slots: slots) }
}
