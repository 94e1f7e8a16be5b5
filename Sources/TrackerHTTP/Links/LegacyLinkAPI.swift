import Foundation
import NIOHTTP1
import TrackerCore
import TrackerStorage

/// Upstream's shortener routes (spec §8.1), kept for old clients with its bugs fixed: passwords are
/// PBKDF2-checked, the `{host}` of the listing filters, links resolve whatever the case of their
/// path, a link onto a short-link host (a loop) is refused, and a missing or wrongly typed field is a 400, not a crash. Answers keep upstream's texts.
extension TrackerApplication {
    func legacyList(_ request: HTTPRequest, uid: String, password: String, host: String,
                    _ links: ShortLinks) async throws(StorageError) -> HTTPResponse {
        guard try await links.verifyAccount(uid: uid, password: password) else { return .text(.unauthorized, "Bad pass") }
        let found = try await links.store.links(hosts: [HTTPRequest.hostName(host)])
        let scheme = isHTTPS(request) ? "https" : "http"
        let results: [JSONValue] = found.map { counted in
            let link = counted.link
            return .object([
                "urlfrom": .string("\(scheme)://\(link.host)/\(link.slug)"), "hostfrom": .string(link.host),
                "slugfrom": .string("/" + link.slug), "urlto": .string(link.target),
                "hostto": .string(URLCleaner.host(of: link.target) ?? ""),
                "pathto": .string(LinkRules.path(of: link.target) ?? "/"),
                "searchto": link.fields["searchto"].map(JSONValue.string) ?? .null,
                "updated": .string(Timestamp.format(link.updated)), "updater": .string(link.updater),
                "hits": .number(Double(counted.hits)),
            ])
        }
        return .json(.ok, JSONWriter.serialize(.object(["results": .array(results)])))
    }

    func legacyCreate(_ request: HTTPRequest, uid: String, password: String, _ links: ShortLinks) async throws(StorageError) -> HTTPResponse {
        guard try await links.verifyAccount(uid: uid, password: password) else { return .text(.unauthorized, "Bad pass") }
        guard !request.body.isEmpty else { return .text(.badRequest, "Bad request (body)") }
        guard case .object(let body)? = try? JSONParser.parse(request.body) else { return .text(.badRequest, "Bad request (data)") }
        guard let from = body["urlfrom"]?.text.map(ASCII.trimmed), !from.isEmpty,
              let to = body["urlto"]?.text.map(ASCII.trimmed), !to.isEmpty else {
            return .text(.badRequest, "Bad URL (null)")
        }
        guard from.lowercased() != to.lowercased() else { return .text(.badRequest, "Bad URL (equal)") }
        guard let host = URLCleaner.host(of: from), let path = LinkRules.path(of: from) else { return .text(.badRequest, "Bad URL (from)") }
        guard path.count >= 2 else { return .text(.badRequest, "Bad URL (from path)") }
        guard links.servesHost(host) else { return .text(.badRequest, "Bad URL (from host \(host) is not a short-link host)") }
        let slug: String
        switch LinkRules.slug(path) {
        case .success(let valid): slug = valid
        case .failure(let problem): return .text(.badRequest, "Bad URL (from path): \(problem.message)")
        }
        let target: String
        switch LinkRules.target(to, shortHosts: links.hosts + [host]) {
        case .success(let valid): target = valid
        case .failure(let problem): return .text(.badRequest, "Bad URL (destination): \(problem.message)")
        }
        var fields: [String: String] = [:]
        if let search = body["searchto"]?.text, !search.isEmpty { fields["searchto"] = search }
        try await links.save(ShortLink(host: host, slug: slug, target: target, fields: fields, updated: Date(), updater: uid))
        return HTTPResponse(status: .ok)
    }
}
