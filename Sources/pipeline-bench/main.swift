import Foundation
import TrackerCore

// The tracking routes' own work, without HTTP or storage: bench/run.sh's two requests (the e-mail
// pixel GET and the browser tracker's JSON POST) parsed and run through the pipeline, many times
// in one process. Prints nanoseconds per event (median of the rounds): a steadier measure of a
// change to TrackerCore than the whole server's rate on a noisy machine.
//   swift run -c release pipeline-bench [iterations-per-round] [rounds]
// ONLY=pixel or ONLY=JSON runs one of the two (to profile it alone).
let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
let rounds = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 5 : 5

let pixel = RawHit(route: .img, path: "/img/v1/", query: "utm_source=newsletter&utm_medium=email&utm_content=opened&gu=1",
                   userAgent: "wrk", requestHost: "127.0.0.1", clientIP: "127.0.0.1")
let body = #"{"last":"https://shop.example.com/cart","url":"https://shop.example.com/checkout?step=2","params":{"plan":"pro","seats":3,"trial":true},"duration":34752,"tz":"America/Los_Angeles","device":"Linux","os":"Linux","sink":"cw$","score":1,"ename":"checkout_started","etyp":"conversion","app":"shop","rel":"2.4.1","w":1280,"h":720,"source":"newsletter","medium":"email","campaign":"spring"}"#
let browser = RawHit(route: .tr, method: "POST", path: "/tr/v1/", body: Array(body.utf8), contentType: "text/plain;charset=UTF-8",
                     cookies: ["vid": "3d0be300-cbd2-11e8-aa59-ffd128a54d91", "sid": "3d0be301-cbd2-11e8-aa59-ffd128a54d91"],
                     userAgent: "wrk", requestHost: "127.0.0.1", clientIP: "127.0.0.1")

let parser = HitParser(limits: HitLimits())
let pipeline = EventPipeline(configuration: PipelineConfiguration(privateHashSalt: "salt"), sessions: SessionTracker())

func run(_ hit: RawHit) -> Double {
    var stored = 0
    let started = ContinuousClock.now
    for _ in 0..<iterations {
        // As TrackingRoutes does: the parsed values handed over whole, so each is changed in place.
        guard let values = try? parser.parse(hit), let processed = try? pipeline.process(values, hit: hit) else {
            fatalError("the benchmark's request was rejected")
        }
        for event in processed.events { stored += event.text.count }
    }
    let elapsed = ContinuousClock.now - started
    precondition(stored > 0)
    return (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(iterations)
}

for (name, hit) in [("pixel GET", pixel), ("JSON POST", browser)] where ProcessInfo.processInfo.environment["ONLY"].map({ name.hasPrefix($0) }) ?? true {
    let times = (0..<rounds).map { _ in run(hit) }.sorted()
    print(String(format: "%@: %.0f ns per event (median of %d rounds of %d; fastest %.0f)", name, times[rounds / 2], rounds, iterations, times[0]))
}
