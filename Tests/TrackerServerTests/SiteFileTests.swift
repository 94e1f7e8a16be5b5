import Foundation
import Testing
import TrackerConfig
import TrackerTesting

/// Sites served by host: the nginx-style file server against the real server.
@Suite(.serialized) struct SiteFileTests {
    func withSite(_ body: (RunningServer, String) async throws -> Void) async throws {
        let directory = TemporaryDirectory("site")
        let root = directory.file("www")
        try FileManager.default.createDirectory(atPath: root + "/assets", withIntermediateDirectories: true)
        try "<html>app</html>".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
        try "body{}".write(toFile: root + "/assets/site.css", atomically: true, encoding: .utf8)
        try "console.log(1)".write(toFile: root + "/assets/app.3f2a9c1b.js", atomically: true, encoding: .utf8)
        try Data("BROTLI".utf8).write(to: URL(fileURLWithPath: root + "/assets/site.css.br"))
        try Data("GZIP".utf8).write(to: URL(fileURLWithPath: root + "/assets/site.css.gz"))
        try String(repeating: ".rule { color: red; }\n", count: 500).write(toFile: root + "/assets/big.css", atomically: true, encoding: .utf8)
        let big = Data((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try big.write(to: URL(fileURLWithPath: root + "/big.bin"))
        let server = try await RunningServer.start { config in
            var site = SiteConfiguration(hosts: ["www.example.com", "*.example.org"], root: root)
            site.spaFallback = "index.html"
            site.cacheControl = [(pattern: "*.html", value: "no-store")]
            config.sites = [site]
        }
        do { try await body(server, root) } catch {
            try await server.stop()
            directory.remove()
            throw error
        }
        try await server.stop()
        directory.remove()
    }

    let host = ["Host": "www.example.com"]

    @Test func filesBySiteHostWithIndexAndSPAFallback() async throws {
        try await withSite { server, _ in
            let index = try server.client.get("/", headers: host)
            #expect(index.status == 200 && index.text == "<html>app</html>")
            #expect(index.header("cache-control") == "no-store")
            #expect(try server.client.get("/account/settings", headers: host).text == "<html>app</html>")
            #expect(try server.client.get("/missing.png", headers: host).status == 404)
            #expect(try server.client.get("/", headers: ["Host": "cdn.example.org"]).status == 200)
            #expect(try server.client.get("/", headers: ["Host": "other.example.net"]).status == 404)
            #expect(try server.client.send("POST", "/", headers: host).status == 405)
            let fingerprinted = try server.client.get("/assets/app.3f2a9c1b.js", headers: host)
            #expect(fingerprinted.header("cache-control") == "public, max-age=31536000, immutable")
            #expect(fingerprinted.header("content-type") == "text/javascript; charset=utf-8")
        }
    }

    @Test func conditionalRequestsAnswer304() async throws {
        try await withSite { server, _ in
            let first = try server.client.get("/assets/site.css", headers: host)
            let etag = try #require(first.header("etag"))
            #expect(try server.client.get("/assets/site.css", headers: host.merging(["If-None-Match": etag]) { $1 }).status == 304)
            #expect(try server.client.get("/assets/site.css", headers: host.merging(["If-None-Match": "W/\(etag)"]) { $1 }).status == 304)
            #expect(try server.client.get("/assets/site.css", headers: host.merging(["If-None-Match": "\"other\""]) { $1 }).status == 200)
        }
    }

    @Test func precompressedSiblingsForClientsThatAcceptThem() async throws {
        try await withSite { server, _ in
            let br = try server.client.get("/assets/site.css", headers: host.merging(["Accept-Encoding": "gzip, br"]) { $1 })
            #expect(br.text == "BROTLI" && br.header("content-encoding") == "br")
            #expect(br.header("vary") == "Accept-Encoding")
            #expect(br.header("content-type") == "text/css; charset=utf-8")
            let gz = try server.client.get("/assets/site.css", headers: host.merging(["Accept-Encoding": "gzip"]) { $1 })
            #expect(gz.text == "GZIP" && gz.header("content-encoding") == "gzip")
            let plain = try server.client.get("/assets/site.css", headers: host)
            #expect(plain.text == "body{}" && plain.header("content-encoding") == nil)
            #expect(br.header("etag") != plain.header("etag"))
        }
    }

    @Test func textIsGzippedOnTheFlyForClientsThatAcceptIt() async throws {
        try await withSite { server, root in
            let original = try String(contentsOfFile: root + "/assets/big.css", encoding: .utf8)
            let gzipped = try server.client.get("/assets/big.css", headers: host.merging(["Accept-Encoding": "gzip, deflate"]) { $1 })
            #expect(gzipped.header("content-encoding") == "gzip")
            #expect(gzipped.header("vary") == "Accept-Encoding")
            #expect(gzipped.body.count < original.utf8.count / 10)
            let file = server.directory.file("body.gz")
            try Data(gzipped.body).write(to: URL(fileURLWithPath: file))
            #expect(try Shell.run("gzip", ["-dc", file]) == original)
            let plain = try server.client.get("/assets/big.css", headers: host)
            #expect(plain.header("content-encoding") == nil && plain.text == original)
            #expect(plain.header("vary") == "Accept-Encoding")
            #expect(plain.header("etag") != gzipped.header("etag"))
            let etag = try #require(gzipped.header("etag"))
            let revalidated = try server.client.get("/assets/big.css", headers: host.merging(["Accept-Encoding": "gzip", "If-None-Match": etag]) { $1 })
            #expect(revalidated.status == 304)
            let part = try server.client.get("/assets/big.css", headers: host.merging(["Accept-Encoding": "gzip", "Range": "bytes=0-5"]) { $1 })
            #expect(part.status == 206 && part.text == ".rule " && part.header("content-encoding") == nil)
            // Small files and images are sent as they are.
            #expect(try server.client.get("/index.html", headers: host.merging(["Accept-Encoding": "gzip"]) { $1 }).header("content-encoding") == nil)
        }
    }

    @Test func rangesAndLargeFilesBySendfile() async throws {
        try await withSite { server, root in
            let expected = try Data(contentsOf: URL(fileURLWithPath: root + "/big.bin"))
            let whole = try server.client.get("/big.bin", headers: host)
            #expect(whole.status == 200)
            #expect(whole.body.count == expected.count && Data(whole.body) == expected)
            let part = try server.client.get("/big.bin", headers: host.merging(["Range": "bytes=1000-1999"]) { $1 })
            #expect(part.status == 206)
            #expect(part.header("content-range") == "bytes 1000-1999/\(expected.count)")
            #expect(Data(part.body) == expected[1000..<2000])
            let tail = try server.client.get("/index.html", headers: host.merging(["Range": "bytes=-4"]) { $1 })
            #expect(tail.status == 206 && tail.text == "tml>")
            let outside = try server.client.get("/big.bin", headers: host.merging(["Range": "bytes=99999999-"]) { $1 })
            #expect(outside.status == 416)
            #expect(outside.header("content-range") == "bytes */\(expected.count)")
            let stale = try server.client.get("/big.bin", headers: host.merging(["Range": "bytes=0-9", "If-Range": "\"old\""]) { $1 })
            #expect(stale.status == 200 && stale.body.count == expected.count)
            let head = try server.client.send("HEAD", "/big.bin", headers: host)
            #expect(head.status == 200 && head.header("content-length") == String(expected.count))
            #expect(try server.client.get("/ping").text == "pong")
        }
    }
}

@Suite(.serialized) struct AccessLogFileTests {
    @Test func everyAnswerIsLoggedAndTheBufferIsWrittenAtShutdown() async throws {
        for format in ["combined", "json"] {
            let directory = TemporaryDirectory("access-log")
            defer { directory.remove() }
            let path = directory.file("access.log")
            let server = try await RunningServer.start { config in config.accessLog = AccessLogConfiguration(path: path, format: format) }
            _ = try server.client.get("/img/v1/?utm_source=mail", headers: ["User-Agent": "Mail/1", "Referer": "https://mail.example"])
            _ = try server.client.post("/tr/v1/", body: "{bad")
            _ = try server.client.get("/nowhere")
            try await server.stop()
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 3)
            if format == "combined" {
                #expect(lines[0].hasPrefix("127.0.0.1 - - ["))
                #expect(lines[0].hasSuffix("\"GET /img/v1/?utm_source=mail HTTP/1.1\" 200 43 \"https://mail.example\" \"Mail/1\""))
                #expect(lines[1].contains("\"POST /tr/v1/ HTTP/1.1\" 400 "))
                #expect(lines[2].contains("\" 404 "))
            } else {
                let statuses = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0?["status"] as? Int }
                #expect(statuses == [200, 400, 404])
            }
        }
    }

    /// logrotate's way: move the file, send SIGHUP; the real binary then writes a new file, and
    /// still exits cleanly on SIGTERM.
    @Test func sighupReopensTheFileAfterRotation() async throws {
        let directory = TemporaryDirectory("access-log-rotate")
        defer { directory.remove() }
        let path = directory.file("access.log")
        let config = directory.file("config.json")
        try #"{"AccessLog": {"Path": "\#(path)"}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let tracker = try TrackerProcess.start(data: directory.file("data"), arguments: ["--config", config])
        let client = HTTPTestClient(port: tracker.port)
        _ = try client.get("/ping?before")
        try await Task.sleep(for: .milliseconds(1500))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        tracker.process.signal(SIGHUP)
        try await Task.sleep(for: .milliseconds(300))
        _ = try client.get("/ping?after")
        #expect(tracker.terminate() == 0)
        let old = try String(contentsOfFile: path + ".1", encoding: .utf8)
        let new = try String(contentsOfFile: path, encoding: .utf8)
        #expect(old.contains("/ping?before") && !old.contains("/ping?after"))
        #expect(new.contains("/ping?after") && !new.contains("/ping?before"))
    }
}
