import Crypto
import Foundation

/// The steps of `EventPipeline`, in the order it runs them.
enum PipelineSteps {
    /// The site is the explicit `host` value, else the page's origin (a tracker on its own host
    /// serves many sites), else the request's Host. `hhash` is upstream's site key.
    static let site = PipelineStep("site") { draft in
        var host = draft.hit.requestHost
        if let explicit = draft.takeText(.host) {
            host = explicit.lowercased()
        } else if let origin = draft.hit.origin, let originHost = URLCleaner.host(of: origin) {
            host = originHost
        }
        guard !host.isEmpty else { return }
        draft.event[.host] = host
        draft.event[.hhash] = Hashing.hostHash(host)
    }

    static func account(mixer: String?) -> PipelineStep {
        PipelineStep("account") { (draft: inout EventDraft) throws(Rejection) in
            let acct = draft.takeText(.acct)
            guard let mixer, !mixer.isEmpty else { return }
            let expected = Hashing.base36(Hashing.fnv1a32((draft.event[.host] ?? "") + mixer))
            guard let acct, acct == expected else {
                throw Rejection(.accountMismatch, "acct \(acct ?? "(missing)") does not match this host")
            }
        }
    }

    /// `vid` keeps any id the client sends (UUIDs of any version, normalised to lower case); a
    /// missing one is minted. A `uid` that is a UUID becomes the `vid` (upstream identity stitching).
    /// A missing `sid` is derived from the visitor's recent activity, not minted per hit.
    /// A cookieless hit (a privacy signal, the client asked, or consent is required and absent:
    /// upstream stored consent flags but never enforced them, §18.14) keeps no client identity: its `vid`
    /// is `CookielessVisitor`'s daily hash, its session is derived, no cookie is set, and
    /// `params.cookieless` marks it for reports.
    static func identity(sessions: SessionTracker, key: IPHashKey, requireConsent: Bool,
                         mint: @escaping @Sendable () -> UUID) -> PipelineStep {
        PipelineStep("identity") { draft in
            let requested = CookielessVisitor.requested(draft.take(.cookieless))
            let unconsented = requireConsent && (draft.values[.cflags]?.number ?? 0) == 0
            if !draft.event.isServer, requested || draft.hit.privacySignal || unconsented {
                _ = draft.take(.vid)
                _ = draft.take(.sid)
                if let uid = draft.takeText(.uid) { draft.event[.uid] = uid }
                let vid = CookielessVisitor.id(key: key, at: draft.event.created, site: draft.event[.host] ?? "",
                                               clientIP: draft.hit.clientIP, userAgent: draft.hit.userAgent)
                draft.event[.vid] = vid
                draft.event[.sid] = sessions.session(site: draft.event[.hhash] ?? "", vid: vid, clientSID: nil,
                                                     at: draft.event.created, mint: { TimeUUID.text(mint()) })
                draft.values[.cookieless] = .bool(true)
                return
            }
            let cookieVID = draft.hit.cookies.vid
            // Each id is parsed once, here (`SentID`), for its stored text and the sessions' key.
            var sentVID = draft.takeText(.vid).map { SessionTracker.SentID(normalising: $0) }
            let minted = sentVID == nil ? mint() : nil
            if let uid = draft.takeText(.uid) {
                draft.event[.uid] = uid
                if let id = TimeUUID.parse(uid) { sentVID = SessionTracker.SentID(id) }
            }
            let vid = sentVID?.text ?? TimeUUID.text(minted!)
            draft.event[.vid] = vid
            let clientSID = draft.takeText(.sid).map { SessionTracker.SentID(normalising: $0) }
            let site = draft.event[.hhash] ?? ""
            if let sentVID {
                draft.event[.sid] = sessions.session(site: site, vid: sentVID, sentSID: clientSID, at: draft.event.created, mint: mint)
            } else if let minted {
                draft.event[.sid] = sessions.session(site: site, newVisitor: minted, sentSID: clientSID,
                                                     at: draft.event.created, mint: mint)
            }
            draft.setsVisitorCookie = !draft.event.isServer && cookieVID != vid
        }
    }

    /// `url` and `last` cleaned as upstream §4.2 (case kept); a `/pub/` hit records the file served.
    static func urls(_ cleaner: URLCleaner) -> PipelineStep {
        PipelineStep("urls") { draft in
            if draft.values[.url] == nil, draft.hit.route == .pub {
                draft.values[.url] = .string(draft.hit.path)
            }
            if let url = draft.takeText(.url) { draft.event[.url] = cleaner.clean(url) }
            if let last = draft.takeText(.last) { draft.event[.last] = cleaner.clean(last) }
        }
    }

    /// Known fields become typed columns whatever JSON type they arrived as (`"rel":1` → `"1"`);
    /// the rest stays for `params`.
    static let columns = PipelineStep("columns") { draft in
        if draft.values[.ver] == nil, let version = draft.take(.version) { draft.values[.ver] = version }
        // Moved out while the closure writes `draft.event` (both are parts of `draft`), and left
        // unshared so that removing the used keys does not copy them.
        var values = draft.values
        draft.values = HitValues()
        values.consume { entry in
            guard let column = entry.key.column else { return false }
            switch column {
            case .text(let field):
                if let text = entry.value.text.map(ASCII.trimmed), !text.isEmpty {
                    draft.event[field] = field == .country ? text.uppercased() : text
                }
            case .number(let field):
                if let number = entry.value.number { draft.event[field] = field.isInteger ? number.rounded(.towardZero) : number }
            case .plumbing:
                break
            }
            return true
        }
        draft.values = values
        // The browser's time zone names its country when the client sent none (upstream §4.1).
        if draft.event[.country] == nil, let zone = draft.event[.tz],
           let country = TimeZoneCountries.country(ofZone: zone) {
            draft.event[.country] = country
        }
    }

    /// E-mail, phone and user name are never stored raw: salted hashes only.
    static func personalData(salt: String) -> PipelineStep {
        PipelineStep("personal data") { draft in
            for (key, field) in [(HitKey.email, EventField.ehash), (.cell, .chash), (.uname, .uhash)] {
                guard let raw = draft.takeText(key) else { continue }
                if draft.event[field] == nil { draft.event[field] = Hashing.privateHash(raw, salt: salt) }
            }
        }
    }

    static func clientAddress(key: IPHashKey, storeRaw: Bool) -> PipelineStep {
        PipelineStep("client address") { draft in
            guard let ip = draft.hit.clientIP else { return }
            draft.event[.iphash] = key.hash(ip)
            if storeRaw { draft.event[.ip] = ip }
        }
    }

    /// Browser and language, for client events only (upstream §2.3).
    static let clientSoftware = PipelineStep("client software") { draft in
        guard !draft.event.isServer else { return }
        if let agent = draft.hit.userAgent.map(ASCII.trimmed), !agent.isEmpty {
            draft.event[.bhash] = Hashing.hostHash(agent)
            if draft.event[.browser] == nil { draft.event[.browser] = agent }
        }
        if draft.event[.culture] == nil, let language = draft.hit.acceptLanguage, let tag = firstLanguage(language) {
            draft.event[.culture] = tag
        }
    }

    /// The first language of an `Accept-Language` header, lower-cased: its first non-empty
    /// comma-separated part, up to its first `;` (the weight), trimmed; nil for none or `*`. Read
    /// on the bytes: split Character by Character, this was about a microsecond of every browser
    /// event.
    static func firstLanguage(_ header: String) -> String? {
        var header = header
        let tag = header.withUTF8 { bytes -> String? in
            var start = 0
            while start < bytes.count, bytes[start] == UInt8(ascii: ",") { start += 1 }
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: ";") { end += 1 }
            let kept = ASCII.trimmed(start..<end, in: bytes)
            guard !kept.isEmpty else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[kept]), as: UTF8.self)
        }
        guard let tag, tag != "*" else { return nil }
        return ASCII.lowercasedText(tag)
    }

    /// Whatever no step consumed is kept in `params` as text, and in `nparams` when it reads as a
    /// number or boolean (upstream §4.3). Nested `params` objects are flattened into the same maps.
    static let params = PipelineStep("params") { draft in
        var nested: [String: JSONValue] = [:]
        switch draft.values[.params] {
        case .object(let inner)?:
            nested = inner
            draft.values[.params] = nil
        case .string(let text)?:
            if case .object(let inner)? = try? JSONParser.parse(text) {
                nested = inner
                draft.values[.params] = nil
            }
        default:
            break
        }
        let capacity = draft.values.count + nested.count
        guard capacity > 0 else { return }
        draft.event.params = ParamMap(minimumCapacity: capacity)
        // Each name once: the values' names are distinct, and so are the nested object's, which
        // adds only those the values lack.
        for (key, value) in draft.values { add(key, value, to: &draft.event, capacity: capacity) }
        for (key, value) in nested where draft.values[key] == nil { add(key, value, to: &draft.event, capacity: capacity) }
    }

    /// Adds a name not in the event's maps yet; `capacity`: how many names may come.
    static func add(_ key: String, _ value: JSONValue, to event: inout Event, capacity: Int) {
        guard let text = value.text else { return }
        event.params.append(new: key, text)
        let number: Double?
        switch value {
        case .number(let n): number = n
        case .bool(let b): number = b ? 1 : 0
        case .string(let s):
            // Compared in place: lower-casing every text value (URLs, names) to find the few
            // that say true or false made a new string of each.
            let trimmed = ASCII.trimmed(s)
            if ASCII.equalsIgnoringCase(trimmed, lowercase: "true") { number = 1 }
            else if ASCII.equalsIgnoringCase(trimmed, lowercase: "false") { number = 0 }
            else { number = value.number }
        default: number = nil
        }
        guard let number else { return }
        if event.nparams.isEmpty { event.nparams = ParamMap(minimumCapacity: capacity) }
        event.nparams.append(new: key, number)
    }
}
