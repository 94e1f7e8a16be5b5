import Testing
@testable import TrackerCore

@Suite struct ParamMapTests {
    /// Read, set, replace and remove as a dictionary would, on random operations.
    @Test func behavesAsADictionary() {
        var map = ParamMap<String>()
        var reference: [String: String] = [:]
        for _ in 0..<2000 {
            let key = ["a", "b", "plan", "Plan", "é", ""].randomElement()!
            let value = Bool.random() ? nil : ["1", "x", ""].randomElement()!
            map[key] = value
            reference[key] = value
            #expect(map == ParamMap(reference) && map.count == reference.count && map[key] == reference[key])
            #expect(map.dictionary == reference && Set(map.keys) == Set(reference.keys))
        }
    }

    @Test func equalityIgnoresOrderButNotValues() {
        var forward = ParamMap<Double>()
        forward.append(new: "a", 1)
        forward.append(new: "b", 2)
        #expect(forward == ["b": 2, "a": 1])
        #expect(forward != ["a": 1, "b": 3] && forward != ["a": 1] && forward != ["a": 1, "b": 2, "c": 3])
        // A literal that names a key twice keeps its last value (a dictionary literal would trap).
        #expect(ParamMap<Double>(dictionaryLiteral: ("a", 1), ("a", 5)) == ["a": 5])
    }

    /// Stored as a dictionary was: keys sorted, whatever the order they were added in.
    @Test func writtenWithSortedKeysAsADictionaryIs() {
        let reference = ["zeta": "1", "alpha": "quote \" and \\ and \n", "mid": "é", "": "empty"]
        var map = ParamMap<String>()
        for (key, value) in reference.shuffled() { map.append(new: key, value) }
        #expect(JSONWriter.serialize(map) == JSONWriter.serialize(reference))
        let numbers: [String: Double] = ["b": 2.5, "a": -1, "c": 1e21]
        #expect(JSONWriter.serialize(ParamMap(numbers)) == JSONWriter.serialize(numbers))
        #expect(JSONWriter.serialize(ParamMap<String>()) == "{}" && JSONWriter.serialize(["k": "v"] as ParamMap<String>) == #"{"k":"v"}"#)
    }
}
