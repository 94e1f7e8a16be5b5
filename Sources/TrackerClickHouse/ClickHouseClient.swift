import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TrackerCore
import TrackerStorage

/// ClickHouse's HTTP interface through AsyncHTTPClient (keep-alive pool, timeouts): a statement in
/// the body or the URL, rows back as JSONEachRow. Errors become `StorageError`: no connection or
/// no answer in time is `.unavailable`, a full disk `.full`, anything the server refuses `.invalid`.
struct ClickHouseClient: Sendable {
    let endpoint: String
    let database: String
    let user: String?
    let password: String?
    let timeout: TimeAmount
    let http: HTTPClient

    /// `url`: `http://user:password@host:8123/database` (user, password and database optional).
    init(url: String, timeout: TimeAmount, database: String? = nil, http: HTTPClient = .shared) throws(StorageError) {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme, ["http", "https"].contains(scheme),
              let host = parts.host, !host.isEmpty else {
            throw .invalid("expected http://user:password@host:8123/database, found \(url)")
        }
        endpoint = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(parts.port ?? (scheme == "https" ? 8443 : 8123))/"
        let name = database ?? parts.path.split(separator: "/").first.map(String.init) ?? "default"
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw .invalid("database name \(name)") }
        self.database = name
        user = parts.user
        password = parts.password
        self.timeout = timeout
        self.http = http
    }

    /// `database.name`, for statements.
    func table(_ name: String) -> String { "\(database).\(name)" }

    func execute(_ sql: String) async throws(StorageError) {
        _ = try await send(query: nil, body: Array(sql.utf8))
    }

    /// Runs `sql` (with `FORMAT JSONEachRow` added) and parses each row.
    func rows(_ sql: String) async throws(StorageError) -> [[String: JSONValue]] {
        let bytes = try await send(query: nil, body: Array((sql + " FORMAT JSONEachRow").utf8),
                                   settings: ["output_format_json_quote_64bit_integers": "0"])
        var rows: [[String: JSONValue]] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard case .object(let row)? = try? JSONParser.parse(Array(line)) else {
                throw .invalid("ClickHouse sent a row that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
            }
            rows.append(row)
        }
        return rows
    }

    /// The server's version, as `SELECT version()` answers (`18.16.1`, `26.9.2.1`).
    func version() async throws(StorageError) -> String {
        try await rows("SELECT version() AS v").first?["v"]?.text ?? "unknown"
    }

    /// `INSERT INTO table FORMAT JSONEachRow` with the rows as a gzip body (a tenth of the size):
    /// server messages; events go as RowBinary (below).
    func insert(into table: String, rows body: [UInt8], settings: [String: String] = [:]) async throws(StorageError) {
        if let compressed = Gzip.compress(body, level: 1) {
            _ = try await send(query: "INSERT INTO \(table) FORMAT JSONEachRow", body: compressed, gzip: true, settings: settings)
        } else {
            _ = try await send(query: "INSERT INTO \(table) FORMAT JSONEachRow", body: body, settings: settings)
        }
    }

    /// `INSERT INTO table (columns) FORMAT RowBinary`, gzipped as JSON is.
    func insert(into table: String, columns: [String], rowBinary body: [UInt8], settings: [String: String] = [:]) async throws(StorageError) {
        let query = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) FORMAT RowBinary"
        if let compressed = Gzip.compress(body, level: 1) {
            _ = try await send(query: query, body: compressed, gzip: true, settings: settings)
        } else {
            _ = try await send(query: query, body: body, settings: settings)
        }
    }

    func send(query: String?, body: [UInt8], gzip: Bool = false, settings: [String: String] = [:]) async throws(StorageError) -> [UInt8] {
        var url = endpoint + "?database=default"
        if let query { url += "&query=" + (query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) { url += "&\(key)=\(value)" }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        if let user { request.headers.add(name: "X-ClickHouse-User", value: user) }
        if let password { request.headers.add(name: "X-ClickHouse-Key", value: password) }
        if gzip { request.headers.add(name: "Content-Encoding", value: "gzip") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            answer = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw .unavailable("ClickHouse at \(endpoint): \(error)")
        }
        let bytes = Array(answer.readableBytesView)
        guard response.status.code < 300 else {
            let message = String(decoding: bytes.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            // 243 NOT_ENOUGH_SPACE; 241 MEMORY_LIMIT_EXCEEDED and 202 TOO_MANY_SIMULTANEOUS_QUERIES pass.
            if message.contains("Code: 243") { throw .full(message) }
            if message.contains("Code: 241") || message.contains("Code: 202") || response.status.code == 503 {
                throw .unavailable(message)
            }
            throw .invalid("ClickHouse \(response.status.code): \(message)")
        }
        return bytes
    }
}
