import Foundation

/// A named step: it enriches the draft, or throws a `Rejection` to drop the event.
public struct PipelineStep: Sendable {
    public let name: String
    let run: @Sendable (inout EventDraft) throws(Rejection) -> Void

    public init(_ name: String, _ run: @escaping @Sendable (inout EventDraft) throws(Rejection) -> Void) {
        self.name = name
        self.run = run
    }
}

/// Turns one request's value map into an `Event`, step by step (docs/ARCHITECTURE.md §1). Pure but
/// for the injected clock, randomness and session table: no I/O.
public struct EventPipeline: Sendable {
    public let steps: [PipelineStep]
    let clock: any TrackerClock
    let random: any RandomSource

    public init(configuration: PipelineConfiguration, sessions: SessionTracker,
                clock: any TrackerClock = SystemClock(), random: any RandomSource = SystemRandomSource()) {
        self.clock = clock
        self.random = random
        let mint: @Sendable () -> UUID = { TimeUUID.v7(at: clock.now(), random: random) }
        steps = [
            PipelineSteps.site,
            PipelineSteps.account(mixer: configuration.accountHashMixer),
            PipelineSteps.identity(sessions: sessions, key: configuration.ipHashKey, requireConsent: configuration.requireConsent, mint: mint),
            PipelineSteps.urls(configuration.urlCleaner),
            PipelineSteps.columns,
            PipelineSteps.personalData(salt: configuration.privateHashSalt),
            PipelineSteps.clientAddress(key: configuration.ipHashKey, storeRaw: configuration.storeRawIP),
            PipelineSteps.clientSoftware,
            PipelineSteps.params,
        ]
    }

    /// A new time-ordered id (a `vid` for a cookie set outside the tracking routes).
    public func mintID() -> String {
        TimeUUID.text(TimeUUID.v7(at: clock.now(), random: random))
    }

    /// `values` is consumed: handed over uniquely, the steps change it in place.
    public func process(_ values: consuming HitValues, hit: RawHit) throws(Rejection) -> ProcessedEvent {
        let instant = clock.now()
        let now = Timestamp.truncated(instant)
        // From the untruncated time: ids minted in one millisecond still sort in turn.
        let eid = TimeUUID.text(TimeUUID.v7(at: instant, random: random))
        var draft = EventDraft(event: Event(eid: eid, created: now, isServer: hit.route.isServer),
                               values: consume values, hit: hit)
        draft.event[EventField.route] = hit.route.rawValue
        for step in steps {
            try step.run(&draft)
        }
        return ProcessedEvent(event: draft.event, setsVisitorCookie: draft.setsVisitorCookie)
    }

    /// A request's events in order, each value map handed over uniquely (see `process(_:hit:)`).
    public func process(_ all: consuming [HitValues], hit: RawHit) throws(Rejection) -> ProcessedHit {
        var remaining = consume all
        remaining.reverse()
        var processed = ProcessedHit(events: [], visitorCookie: nil)
        processed.events.reserveCapacity(remaining.count)
        while let values = remaining.popLast() {
            let one = try process(values, hit: hit)
            if one.setsVisitorCookie, processed.visitorCookie == nil { processed.visitorCookie = one.event[.vid] }
            processed.events.append(one.event)
        }
        return processed
    }
}
