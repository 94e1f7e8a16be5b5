import Foundation
import NIOHTTP1
import TrackerCore
import TrackerStorage

/// The links API under `/rpi/v1/links` (Bearer API keys, scoped to their hosts) and upstream's
/// `/rpi/v1/redirect(s)/{uid}/{password}...` for old clients (PBKDF2-checked accounts).
///
///     GET    /rpi/v1/links[?host=H]        list, with hit counts
///     POST   /rpi/v1/links                 create: {"host","slug"?,"target","fields"?,"permanent"?}
///     GET    /rpi/v1/links/{host}/{slug}   one link
///     PUT    /rpi/v1/links/{host}/{slug}   create or replace: {"target","fields"?,"permanent"?}
///     DELETE /rpi/v1/links/{host}/{slug}
extension TrackerApplication {
    func linkAPI(_ request: HTTPRequest, links: ShortLinks) async -> HTTPResponse {
        if request.method == .OPTIONS { return settings.cors.preflight(origin: request.headers.first(name: "origin")) }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).dropFirst(2).map {
            PercentDecoding.decode($0, plusIsSpace: false)
        }
        do {
            switch parts.first {
            case "links": return try await keyedLinks(request, Array(parts.dropFirst()), links)
            case "redirects" where parts.count == 4 && request.method == .GET:
                return try await legacyList(request, uid: parts[1], password: parts[2], host: parts[3], links)
            case "redirect" where parts.count == 3 && request.method == .POST:
                return try await legacyCreate(request, uid: parts[1], password: parts[2], links)
            default:
                return .error(.notFound, "no such links API route: \(request.method.rawValue) \(request.path)")
            }
        } catch {
            var response = HTTPResponse.error(.serviceUnavailable, "the link store is unavailable: \(error)")
            response.headers.add(name: "retry-after", value: "5")
            return response
        }
    }

    func keyedLinks(_ request: HTTPRequest, _ rest: [String], _ links: ShortLinks) async throws(StorageError) -> HTTPResponse {
        guard let key = try await links.apiKey(authorization: request.headers.first(name: "authorization")) else {
            var response = HTTPResponse.error(.unauthorized, "an API key is required: Authorization: Bearer trk_...")
            response.headers.add(name: "www-authenticate", value: "Bearer realm=\"tracker links\"")
            return response
        }
        let scheme = isHTTPS(request) ? "https" : "http"
        switch (request.method, rest.count) {
        case (.GET, 0):
            let host = request.query.flatMap { Self.queryValue("host", in: $0) }
            if let host, !key.allows(host: host) { return .error(.forbidden, "this key may not manage links on \(host)") }
            let found = try await links.store.links(hosts: host.map { [$0] }).filter { key.allows(host: $0.link.host) }
            return .json(.ok, JSONWriter.serialize(.object(["links": .array(found.map { Self.linkJSON($0.link, hits: $0.hits, scheme: scheme) })])))
        case (.POST, 0):
            guard case .object(let body)? = try? JSONParser.parse(request.body) else {
                return .error(.badRequest, "the body must be a JSON object")
            }
            guard let host = body["host"]?.text?.lowercased(), !host.isEmpty else { return .error(.badRequest, "host is required") }
            guard key.allows(host: host) else { return .error(.forbidden, "this key may not manage links on \(host)") }
            guard links.servesHost(host) else { return .error(.badRequest, "\(host) is not a short-link host of this server") }
            let slug: String
            if let requested = body["slug"]?.text, !requested.isEmpty {
                switch LinkRules.slug(requested) {
                case .success(let valid): slug = valid
                case .failure(let problem): return .error(.badRequest, problem.message)
                }
                if try await links.store.link(host: host, slug: slug) != nil {
                    return .error(.conflict, "\(host)/\(slug) exists: PUT /rpi/v1/links/\(host)/\(slug) replaces it")
                }
            } else {
                slug = try await links.freshSlug(host: host)
            }
            return try await saveLink(host: host, slug: slug, body: body, key: key, links, scheme: scheme, status: .created)
        case (_, 2...):
            let host = rest[0].lowercased()
            guard key.allows(host: host) else { return .error(.forbidden, "this key may not manage links on \(host)") }
            let slug: String
            switch LinkRules.slug(rest[1...].joined(separator: "/")) {
            case .success(let valid): slug = valid
            case .failure(let problem): return .error(.badRequest, problem.message)
            }
            switch request.method {
            case .GET:
                guard let found = try await links.store.link(host: host, slug: slug) else {
                    return .error(.notFound, "no link \(host)/\(slug)")
                }
                return .json(.ok, JSONWriter.serialize(Self.linkJSON(found.link, hits: found.hits, scheme: scheme)))
            case .PUT:
                guard case .object(let body)? = try? JSONParser.parse(request.body) else {
                    return .error(.badRequest, "the body must be a JSON object")
                }
                guard links.servesHost(host) else { return .error(.badRequest, "\(host) is not a short-link host of this server") }
                return try await saveLink(host: host, slug: slug, body: body, key: key, links, scheme: scheme, status: .ok)
            case .DELETE:
                return try await links.delete(host: host, slug: slug)
                    ? HTTPResponse(status: .noContent) : .error(.notFound, "no link \(host)/\(slug)")
            default:
                return .error(.methodNotAllowed, "a link answers GET, PUT and DELETE")
            }
        default:
            return .error(.methodNotAllowed, "/rpi/v1/links answers GET and POST")
        }
    }

    func saveLink(host: String, slug: String, body: [String: JSONValue], key: APIKey, _ links: ShortLinks, scheme: String,
                  status: HTTPResponseStatus) async throws(StorageError) -> HTTPResponse {
        guard let raw = body["target"]?.text ?? body["url"]?.text else { return .error(.badRequest, "target is required") }
        let target: String
        switch LinkRules.target(raw, shortHosts: links.hosts + [host]) {
        case .success(let valid): target = valid
        case .failure(let problem): return .error(.badRequest, problem.message)
        }
        var fields: [String: String] = [:]
        if case .object(let given)? = body["fields"] {
            for (name, value) in given {
                guard let text = value.text, name.utf8.count <= 64, text.utf8.count <= 1024 else {
                    return .error(.badRequest, "fields must map short names to short texts (\(name))")
                }
                fields[name] = text
            }
        }
        let permanent: Bool
        switch body["permanent"] {
        case nil, .null?: permanent = false
        case .bool(let flag)?: permanent = flag
        default: return .error(.badRequest, "permanent must be true or false")
        }
        let link = ShortLink(host: host, slug: slug, target: target, fields: fields, permanent: permanent,
                             updated: Date(), updater: key.id)
        try await links.save(link)
        return .json(status, JSONWriter.serialize(Self.linkJSON(link, hits: 0, scheme: scheme)))
    }

    static func linkJSON(_ link: ShortLink, hits: Int, scheme: String) -> JSONValue {
        .object([
            "host": .string(link.host), "slug": .string(link.slug), "url": .string("\(scheme)://\(link.host)/\(link.slug)"),
            "target": .string(link.target), "fields": .object(link.fields.mapValues(JSONValue.string)),
            "permanent": .bool(link.permanent), "hits": .number(Double(hits)),
            "updated": .string(Timestamp.format(link.updated)), "updater": .string(link.updater),
        ])
    }
}
