import Foundation
import Testing
@testable import TrackerCore

@Suite struct HitKeyTests {
    @Test func everyKeyIsFoundByItsNameAndNothingElseIs() {
        for key in HitKey.allCases {
            #expect(HitKey(name: key.name) == key)
            #expect(HitKey(name: key.name.uppercased()) == nil, "lookups are exact: the parser lower-cases first")
            #expect(HitKey(name: key.name + "x") == nil)
            #expect(HitKey(name: "x" + key.name) == nil)
            #expect(HitKey(name: String(key.name.dropLast())) != key)
        }
        for other in ["", "plan", "seats", "utm_source", "route", "eid", "vids", "u", "params2", "ü"] {
            #expect(HitKey(name: other) == nil, "\(other)")
        }
    }

    /// The columns a client may send, as `EventField` and `NumericField` name them: the keys the
    /// pipeline sets itself (site, identity, URLs, hashes) are taken by their own steps instead.
    @Test func columnsFollowTheFieldEnums() {
        let setByTheServer: Set<String> = ["hhash", "host", "vid", "sid", "uid", "last", "url", "ip", "iphash", "bhash", "route"]
        for field in EventField.allCases where !setByTheServer.contains(field.rawValue) {
            #expect(HitKey(name: field.rawValue)?.column == .text(field), "\(field)")
        }
        for field in NumericField.allCases {
            #expect(HitKey(name: field.rawValue)?.column == .number(field), "\(field)")
        }
        for name in ["first", "created", "time", "hhash", "iphash", "ip", "bhash", "latlon", "vp", "tr", "str"] {
            #expect(HitKey(name: name)?.column == .plumbing, "\(name)")
        }
        for name in ["vid", "sid", "uid", "host", "acct", "url", "last", "email", "cell", "uname", "params", "content", "version", "cookieless"] {
            #expect(HitKey(name: name)?.column == nil, "\(name)")
        }
    }
}

@Suite struct HitValuesTests {
    @Test func knownAndOtherKeysAreSetTakenAndCounted() {
        var values = HitValues()
        #expect(values.isEmpty)
        values["ename"] = .string("a")
        values["plan"] = .string("pro")
        values[.vid] = .string("v")
        values[.ename] = .string("b")
        #expect(values.count == 3)
        #expect(values["ename"] == .string("b"))
        #expect(values[.ename] == .string("b"))
        #expect(values["plan"] == .string("pro"))
        #expect(values.take(.vid) == .string("v"))
        #expect(values.take(.vid) == nil)
        values["ename"] = nil
        values["plan"] = nil
        #expect(values.isEmpty)
        #expect(values == HitValues())
    }

    @Test func equalityIgnoresTheOrderOfSetting() {
        let one: HitValues = ["ename": .string("a"), "vid": .string("v"), "x": .number(1)]
        var other = HitValues()
        other["x"] = .number(1)
        other["vid"] = .string("v")
        other["ename"] = .string("a")
        #expect(one == other)
        other["vid"] = .string("w")
        #expect(one != other)
    }

    @Test func keysSetFromBytesAreLowerCased() {
        var values = HitValues()
        for (key, value) in [("ENAME", 1.0), ("Plan", 2), ("ÉTÉ", 3), ("sid", 4)] {
            var key = key
            key.withUTF8 { values.set(utf8: $0, .number(value)) }
        }
        #expect(values[.ename] == .number(1))
        #expect(values["plan"] == .number(2))
        #expect(values["été"] == .number(3))
        #expect(values[.sid] == .number(4))
        #expect(Dictionary(uniqueKeysWithValues: values.map { ($0.key, $0.value) }) == [
            "ename": .number(1), "plan": .number(2), "été": .number(3), "sid": .number(4),
        ])
    }

    /// A random mix of sets, takes and removals agrees with a dictionary doing the same.
    @Test func behavesLikeADictionary() {
        var random = FuzzTests.SeededGenerator(state: 11)
        let names = HitKey.allCases.map(\.name) + ["plan", "seats", "a", "b"]
        for _ in 0..<200 {
            var values = HitValues()
            var reference: [String: JSONValue] = [:]
            for step in 0..<60 {
                let name = names.randomElement(using: &random)!
                switch Int.random(in: 0..<4, using: &random) {
                case 0, 1:
                    values[name] = .number(Double(step))
                    reference[name] = .number(Double(step))
                case 2:
                    values[name] = nil
                    reference[name] = nil
                default:
                    if let key = HitKey(name: name) {
                        #expect(values.take(key) == reference.removeValue(forKey: name))
                    }
                }
                #expect(values[name] == reference[name])
            }
            #expect(values.count == reference.count)
            #expect(Dictionary(uniqueKeysWithValues: values.map { ($0.key, $0.value) }) == reference)
        }
    }
}

@Suite struct StreamedBodyTests {
    let parser = HitParser(limits: HitLimits(maxFields: 10_000, maxValueLength: 100_000))

    /// The body read straight into the value map gives what parsing it into a tree and merging its
    /// members (the earlier way) gives, for random objects of every JSON type and key spelling.
    @Test func agreesWithParsingThenMerging() throws {
        var random = FuzzTests.SeededGenerator(state: 5)
        let keys = HitKey.allCases.map(\.name) + ["Plan", "SEATS", "x", "été", "a\\u0062c", "ename\\n"]
        for _ in 0..<300 {
            var members: [String] = []
            var seen = Set<String>()
            for _ in 0..<Int.random(in: 0..<30, using: &random) {
                let key = keys.randomElement(using: &random)!
                guard seen.insert(key.lowercased()).inserted else { continue }
                let value = ["1", "-0", "2.5", "1e3", "123456789012345678", "true", "false", "null", #""text""#,
                             #""  Mixed Case ""#, "[1,\"a\"]", #"{"n":1}"#, "-7"].randomElement(using: &random)!
                members.append("\"\(key)\":\(value)")
            }
            let body = "{" + members.joined(separator: ",") + "}"
            let hit = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array(body.utf8), cookies: ["vid": "cookie"])
            let streamed = try parser.parse(hit)[0]
            var expected: HitValues = ["vid": .string("cookie")]
            guard case .object(let tree) = try JSONParser.parse(body) else { Issue.record("not an object"); return }
            for (key, value) in tree where !value.isNull { expected[key.lowercased()] = value }
            HitParser.liftContent(&expected)
            #expect(streamed == expected, "\(body)")
        }
    }

    @Test func numbersReadWithoutAStringAreTheSameNumbers() throws {
        var random = FuzzTests.SeededGenerator(state: 9)
        var texts = ["0", "-0", "1", "-1", "999999999999999", "-999999999999999", "1000000000000000", "12345678901234567890",
                     "0.1", "1e2", "-2E-3", "4.0"]
        for _ in 0..<2000 {
            texts.append(String(Int64.random(in: -10_000_000_000_000...10_000_000_000_000, using: &random)))
        }
        for text in texts {
            guard case .number(let ours) = try JSONParser.parse(text) else { Issue.record("\(text) is not a number"); continue }
            let expected = Double(text)!
            #expect(ours == expected && ours.sign == expected.sign, "\(text)")
        }
    }

    @Test func batchesAreCheckedAfterTheWholeBodyIsRead() {
        let limited = HitParser(limits: HitLimits(maxBatchEvents: 2))
        func reason(_ body: String) -> DropReason? {
            let hit = RawHit(route: .tr, method: "POST", path: "/", body: Array(body.utf8))
            do { _ = try limited.parse(hit); return nil } catch { return error.reason }
        }
        #expect(reason(#"[{},{},{}]"#) == .tooManyEvents)
        #expect(reason(#"[{},{},{},"#) == .malformedJSON, "a syntax error anywhere is the answer")
        #expect(reason(#"[{},1]"#) == .malformedJSON)
        #expect(reason(#"[{"a":1},{"b":2}]"#) == nil)
        #expect(reason(#"{"a":1} x"#) == .malformedJSON)
    }

    @Test func aParamsValueThatIsNotAnObjectIsKept() throws {
        let pipeline = EventPipeline(configuration: PipelineConfiguration(), sessions: SessionTracker())
        for (body, kept) in [(#"{"params":5}"#, "5"), (#"{"params":"plain"}"#, "plain")] {
            let hit = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array(body.utf8))
            let event = try pipeline.process(HitParser(limits: HitLimits()).parse(hit), hit: hit).events[0]
            #expect(event.params["params"] == kept)
        }
    }
}
