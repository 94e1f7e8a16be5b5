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
/// access and reallocated as it grew. Iterates present fields in declaration order. Inlinable,
/// so that the stores and the HTTP layer get it specialized for their field types: unspecialized,
/// each step asked the runtime for generic metadata.
public struct FieldValues<Field: TaggedField, Value: Sendable & Equatable>: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    @usableFromInline var slots: [Value?]

    @inlinable public init() {
        slots = Array(repeating: nil, count: Field.byTag.count)
    }

    @inlinable public init(dictionaryLiteral elements: (Field, Value)...) {
        self.init()
        for (field, value) in elements { self[field] = value }
    }

    @inlinable public init(_ values: [Field: Value]) {
        self.init()
        for (field, value) in values { self[field] = value }
    }

    @inlinable public subscript(field: Field) -> Value? {
        get { slots[Int(field.tag)] }
        set { slots[Int(field.tag)] = newValue }
    }

    @inlinable public var count: Int { slots.reduce(0) { $1 == nil ? $0 : $0 + 1 } }
    @inlinable public var isEmpty: Bool { slots.allSatisfy { $0 == nil } }
    @inlinable public var keys: [Field] { map(\.key) }
    @inlinable public var values: [Value] { map(\.value) }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let slots: [Value?]
        @usableFromInline var index = 0

        @inlinable init(slots: [Value?]) {
            self.slots = slots
        }

        @inlinable public mutating func next() -> (key: Field, value: Value)? {
            while index < slots.count {
                defer { index += 1 }
                if let value = slots[index] { return (Field.byTag[index], value) }
            }
            return nil
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(slots: slots) }
}
