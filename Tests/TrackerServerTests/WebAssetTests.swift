import Foundation
import Testing
import TrackerHTTP
import TrackerTesting

/// The browser tracker and the generator pages, as the server sends them.
@Suite(.serialized) struct WebAssetTests: TrackingServerSuite {

    @Test func theTrackerIsSmallVersionedAndCachedForever() async throws {
        try await withServer { server in
        let path = WebAssetRoutes.trackerPath
        let versioned = try server.client.get(path, headers: ["Accept-Encoding": "gzip, br"])
        #expect(versioned.status == 200)
        #expect(versioned.header("content-encoding") == "gzip")
        #expect(versioned.body.count <= 3072, "the size budget: \(versioned.body.count) bytes gzipped")
        #expect(versioned.header("cache-control") == "public, max-age=31536000, immutable")
        #expect(versioned.header("content-type")?.hasPrefix("text/javascript") == true)
        let etag = try #require(versioned.header("etag"))
        #expect(try server.client.get(path, headers: ["If-None-Match": etag]).status == 304)
        let stable = try server.client.get("/t/track.js")
        #expect(stable.status == 200 && stable.header("cache-control") == "public, max-age=300")
        #expect(stable.text.contains("sendBeacon") && !stable.text.contains("/* "), "served minified")
        #expect(try server.client.send("HEAD", "/t/track.js").status == 200)
        }
    }

    @Test func theGeneratorPagesAreServedAlsoAtUpstreamsPaths() async throws {
        try await withServer { server in
        for path in ["/tools/track_url.html", "/tools/shorten_url.html", "/pub/v1/track_url.html", "/pub/v1/shorten_url.html"] {
            let page = try server.client.get(path)
            #expect(page.status == 200 && page.header("content-type") == "text/html; charset=utf-8", "\(path)")
            #expect(page.text.contains("/tools/generator.js"), "\(path)")
        }
        for path in ["/tools/qr.js", "/tools/generator.js", "/tools/tools.css"] {
            #expect(try server.client.get(path).status == 200, "\(path)")
        }
        #expect(try server.client.get("/tools/missing.js").status == 404)
        let tracked = try await server.events(atLeast: 2).filter { $0[.route] == "pub" }.compactMap { $0[.url] }
        #expect(tracked == ["/pub/v1/track_url.html", "/pub/v1/shorten_url.html"], "upstream's paths are tracked /pub/ hits")
        }
    }
}
