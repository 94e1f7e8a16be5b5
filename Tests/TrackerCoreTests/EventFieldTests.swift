import Testing
@testable import TrackerCore

/// Fields hash and compare by their case's tag (Event.swift): every case must have its own tag,
/// in declaration order, and equal fields only equal themselves.
@Suite struct EventFieldTests {
    @Test func tagsAreTheDeclarationOrder() {
        #expect(EventField.allCases.map(\.tag) == (0..<UInt8(EventField.allCases.count)).map { $0 })
        #expect(NumericField.allCases.map(\.tag) == (0..<UInt8(NumericField.allCases.count)).map { $0 })
    }

    @Test func dictionariesKeyedByFieldsKeepEveryField() {
        var text: [EventField: String] = [:]
        for field in EventField.allCases { text[field] = field.rawValue }
        #expect(text.count == EventField.allCases.count)
        #expect(EventField.allCases.allSatisfy { text[$0] == $0.rawValue })
        #expect(EventField.vid != EventField.sid && EventField.vid == EventField(rawValue: "vid"))
        #expect(Set(NumericField.allCases).count == NumericField.allCases.count)
    }

    @Test func fieldValuesHoldEachFieldOnceInDeclarationOrder() {
        var values: FieldValues<EventField, String> = [.url: "u", .vid: "v"]
        values[.hhash] = "h"
        values[.url] = "u2"
        #expect(values.map(\.key) == [.hhash, .vid, .url] && values.map(\.value) == ["h", "v", "u2"])
        #expect(values.count == 3 && !values.isEmpty && values[.sid] == nil)
        values[.vid] = nil
        #expect(values == FieldValues([.hhash: "h", .url: "u2"]) && values.keys == [.hhash, .url])
        var all = FieldValues<NumericField, Double>()
        #expect(all.isEmpty && all.count == 0)
        for field in NumericField.allCases { all[field] = Double(field.tag) }
        #expect(all.count == NumericField.allCases.count && all[.h] == Double(NumericField.h.tag))
    }

    /// Only present slots are stored (a mask says which): 3 000 random sets, removals and copies
    /// against a dictionary, with copies taken along the way checked to keep their own values
    /// (copy-on-write), and values freed exactly once (a class instance counts its releases).
    @Test func fieldValuesMatchADictionaryThroughRandomEditsAndCopies() {
        final class Tracked: Equatable, @unchecked Sendable {
            nonisolated(unsafe) static var alive = 0
            let n: Int
            init(_ n: Int) { self.n = n; Self.alive += 1 }
            deinit { Self.alive -= 1 }
            static func == (a: Tracked, b: Tracked) -> Bool { a.n == b.n }
        }
        do {
            var generator = SystemRandomNumberGenerator()
            var values = FieldValues<EventField, Tracked>()
            var oracle: [EventField: Int] = [:]
            var snapshots: [(FieldValues<EventField, Tracked>, [EventField: Int])] = []
            for step in 0..<3000 {
                let field = EventField.allCases.randomElement(using: &generator)!
                if Bool.random(using: &generator) {
                    values[field] = Tracked(step)
                    oracle[field] = step
                } else {
                    values[field] = nil
                    oracle[field] = nil
                }
                if step % 100 == 0 { snapshots.append((values, oracle)) }
                #expect(values[field]?.n == oracle[field])
            }
            for (copy, expected) in snapshots + [(values, oracle)] {
                #expect(copy.count == expected.count)
                #expect(copy.map(\.key) == EventField.allCases.filter { expected[$0] != nil }, "declaration order")
                #expect(copy.allSatisfy { expected[$0.key] == $0.value.n })
            }
            #expect(values == values && (snapshots.last.map { $0.0 == values } ?? false) == (snapshots.last?.1 == oracle))
        }
        #expect(Tracked.alive == 0, "every stored value freed once")
    }
}
