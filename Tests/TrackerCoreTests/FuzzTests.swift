import Foundation
import Testing
import TrackerTesting
@testable import TrackerCore

/// Mutated and random bodies through the parser and the whole pipeline: nothing may crash, and the
/// parser must accept exactly what Foundation's parser accepts.
@Suite struct FuzzTests {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds = [
        #"{"ename":"signup","rel":1,"params":{"plan":"pro","n":[1,2,{"x":null}]},"vid":"3d0be300-cbd2-11e8-aa59-ffd128a54d91"}"#,
        #"[{"a":"\u00e9\ud83d\ude00"},{"b":-1.5e-3,"c":true}]"#,
        #"{"url":"https://example.com/a?b=1#c","email":"A@B.com","lat":"37.2","w":1280}"#,
    ]

    @Test func mutatedBodiesNeverCrashAndAgreeWithFoundation() throws {
        var random = SeededGenerator(state: 42)
        let pipeline = EventPipeline(configuration: PipelineConfiguration(), sessions: SessionTracker(),
                                     clock: FixedClock(), random: CountingRandom())
        let parser = HitParser(limits: HitLimits())
        let alphabet = Array(#"{}[]":,\0123456789.eE+-truefalsnul \u"#.utf8) + [0x00, 0xC3, 0xA9, 0xFF, 0x80]
        var accepted = 0
        for iteration in 0..<20_000 {
            var bytes = Array(Self.seeds[iteration % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[position] = alphabet.randomElement(using: &random)!
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            let ours = (try? JSONParser.parse(bytes)) != nil
            // Foundation also takes trailing commas, which RFC 8259 (and so this parser) refuses.
            let text = String(decoding: bytes, as: UTF8.self)
            if text.range(of: #",\s*[}\]]"#, options: .regularExpression) == nil {
                let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
                #expect(ours == theirs, "disagreement on \(text)")
            }
            let hit = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: bytes, contentType: "text/plain")
            if let values = try? parser.parse(hit) {
                for value in values { _ = try? pipeline.process(value, hit: hit) }
                accepted += 1
            }
        }
        #expect(accepted > 100, "the mutations never produced valid input")
    }

    @Test func randomPathsAndQueriesNeverCrash() {
        var random = SeededGenerator(state: 7)
        let parser = HitParser(limits: HitLimits())
        let alphabet = Array("/%?&=+aZ09._-~utm_".utf8) + [0x00, 0xFF, 0xC3]
        for _ in 0..<10_000 {
            let path = String(decoding: (0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }, as: UTF8.self)
            let query = String(decoding: (0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }, as: UTF8.self)
            // A GET this small breaks no limit: it always parses, into lower-case, non-empty keys.
            let values = try? parser.parse(RawHit(route: .img, path: "/img/v1" + path, tuplets: path, query: query))
            #expect(values?.count == 1, "refused \(path)?\(query)")
            #expect(values?.first?.allSatisfy { !$0.key.isEmpty && $0.key == $0.key.lowercased() } == true)
        }
    }
}
