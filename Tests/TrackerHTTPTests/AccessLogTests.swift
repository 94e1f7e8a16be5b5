import Foundation
import Testing
@testable import TrackerHTTP

@Suite struct AccessLogTests {
    let entry = AccessLog.Entry(remote: "203.0.113.9", time: Date(timeIntervalSince1970: 971_186_136), method: "GET",
                                uri: "/img/v1/?utm_source=x", version: "HTTP/1.1", status: 200, bytes: 43,
                                referer: nil, userAgent: "Mozilla \"evil\"\n127.0.0.1 - - [forged]", milliseconds: 1.25)

    @Test func combinedIsNginxsFormatWithQuotesAndNewlinesEscaped() {
        #expect(AccessLog.combined(entry) == #"203.0.113.9 - - [10/Oct/2000:13:55:36 +0000] "GET /img/v1/?utm_source=x HTTP/1.1" 200 43 "-" "Mozilla \x22evil\x22\x0A127.0.0.1 - - [forged]""#)
    }

    @Test func jsonIsOneObjectPerLine() throws {
        let line = AccessLog.json(entry)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["status"] as? Int == 200)
        #expect(object["ua"] as? String == entry.userAgent)
        #expect(object["ts"] as? String == "2000-10-10T13:55:36.000Z")
    }
}
