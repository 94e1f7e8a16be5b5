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
/// access and reallocated as it grew; an array of optionals (49 for an event's text) was freed
/// slot by slot through the runtime's generic witnesses, nil ones included, a tenth of the
/// pipeline's time. Here a bit mask says which slots hold a value and only those are
/// initialized, copied and freed. Copy-on-write like an array. Iterates present fields in
/// declaration order. Inlinable, so that the stores and the HTTP layer get it specialized for
/// their field types: unspecialized, each step asked the runtime for generic metadata.
public struct FieldValues<Field: TaggedField, Value: Sendable & Equatable>: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    @usableFromInline nonisolated(unsafe) var storage: FieldSlots<Value>

    @inlinable public init() {
        storage = FieldSlots.make(capacity: Field.byTag.count)
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
        get { storage.value(at: Int(field.tag)) }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            storage.set(newValue, at: Int(field.tag))
        }
    }

    @inlinable public var count: Int { storage.header.nonzeroBitCount }
    @inlinable public var isEmpty: Bool { storage.header == 0 }
    /// Which fields are present: bit `tag` for each.
    @inlinable public var presence: UInt64 { storage.header }
    @inlinable public var keys: [Field] { map(\.key) }
    @inlinable public var values: [Value] { map(\.value) }

    @inlinable public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.storage === rhs.storage || (lhs.storage.header == rhs.storage.header && lhs.elementsEqual(rhs) { $0.value == $1.value })
    }

    public struct Iterator: IteratorProtocol {
        @usableFromInline let storage: FieldSlots<Value>
        @usableFromInline var remaining: UInt64

        @inlinable init(storage: FieldSlots<Value>) {
            self.storage = storage
            remaining = storage.header
        }

        @inlinable public mutating func next() -> (key: Field, value: Value)? {
            guard remaining != 0 else { return nil }
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            return (Field.byTag[index], storage.withUnsafeMutablePointerToElements { $0[index] })
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(storage: storage) }
}

/// The slots of a `FieldValues`: the header is the mask of initialized slots (at most 64
/// fields). Shared between threads only once it is no longer written (copy-on-write), which is
/// why `FieldValues` may hold it `nonisolated(unsafe)` (ManagedBuffer cannot be Sendable).
public final class FieldSlots<Value>: ManagedBuffer<UInt64, Value> {
    @inlinable static func make(capacity: Int) -> FieldSlots<Value> {
        precondition(capacity <= 64, "a field set has at most 64 fields")
        return unsafeDowncast(create(minimumCapacity: capacity) { _ in 0 }, to: FieldSlots<Value>.self)
    }

    @inlinable func value(at index: Int) -> Value? {
        guard header & (1 << UInt64(index)) != 0 else { return nil }
        return withUnsafeMutablePointerToElements { $0[index] }
    }

    @inlinable func set(_ value: Value?, at index: Int) {
        let bit: UInt64 = 1 << UInt64(index)
        withUnsafeMutablePointers { mask, elements in
            switch (value, mask.pointee & bit != 0) {
            case (let value?, true): elements[index] = value
            case (let value?, false): (elements + index).initialize(to: value)
            case (nil, true): (elements + index).deinitialize(count: 1)
            case (nil, false): return
            }
            if value == nil { mask.pointee &= ~bit } else { mask.pointee |= bit }
        }
    }

    @inlinable func copy() -> FieldSlots<Value> {
        let copy = FieldSlots.make(capacity: capacity)
        withUnsafeMutablePointers { mask, elements in
            copy.withUnsafeMutablePointers { copyMask, copyElements in
                var remaining = mask.pointee
                while remaining != 0 {
                    let index = remaining.trailingZeroBitCount
                    (copyElements + index).initialize(to: elements[index])
                    remaining &= remaining - 1
                }
                copyMask.pointee = mask.pointee
            }
        }
        return copy
    }

    deinit {
        withUnsafeMutablePointers { mask, elements in
            var remaining = mask.pointee
            while remaining != 0 {
                (elements + remaining.trailingZeroBitCount).deinitialize(count: 1)
                remaining &= remaining - 1
            }
        }
    }
}
