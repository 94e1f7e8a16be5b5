import Foundation
import TrackerCore

/// Events for storage tests, with every column filled unless told otherwise.
public enum EventBuilder {
    public static let epoch = Date(timeIntervalSince1970: 1_790_000_000)

    public static func event(_ n: Int, site: String = "d4md6", at offset: TimeInterval = 0, vid: String? = nil,
                             sid: String? = nil) -> Event {
        let created = Timestamp.truncated(epoch.addingTimeInterval(offset))
        var event = Event(eid: String(format: "01900000-0000-7000-8000-%012d", n), created: created)
        for field in EventField.allCases { event[field] = "\(field.rawValue)-\(n)" }
        event[.hhash] = site
        event[.vid] = vid ?? "vid-\(n)"
        event[.sid] = sid ?? "sid-\(n)"
        event[.cflags] = 1024
        event[.duration] = 34752
        event[.score] = 0.5
        event[.lat] = 37.232332
        event[.lon] = -6.32233223
        event[.w] = 1280
        event[.h] = 720
        event.params = ["page": "1", "plan": "Pro Ünïcode \"quoted\"\n"]
        event.nparams = ["page": 1, "ratio": 0.25]
        return event
    }

    /// An event with only the required fields.
    public static func sparse(_ n: Int, at offset: TimeInterval = 0) -> Event {
        Event(eid: String(format: "01900000-0000-7000-9000-%012d", n),
              created: Timestamp.truncated(epoch.addingTimeInterval(offset)), isServer: true)
    }
}
