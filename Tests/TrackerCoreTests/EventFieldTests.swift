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
}
