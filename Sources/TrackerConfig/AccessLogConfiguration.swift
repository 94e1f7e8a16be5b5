import TrackerCore

/// `AccessLog`: `{"Path": "stdout" or a file, "Format": "combined" or "json"}`; off when absent.
public struct AccessLogConfiguration: Sendable, Equatable {
    public var path: String
    public var format: String

    public init(path: String, format: String = "combined") {
        self.path = path
        self.format = format
    }

    static func read(_ value: JSONValue, _ path: String, _ r: inout ConfigValues) -> AccessLogConfiguration? {
        r.objectList(.array([value]), path, keys: ["Path", "Format"]) { r, fields, _ in
            var log = AccessLogConfiguration(path: "stdout")
            if let v = fields["Path"] { log.path = r.string(v, "\(path).Path") ?? log.path }
            if let v = fields["Format"], let format = r.string(v, "\(path).Format") {
                if ["combined", "json"].contains(format) { log.format = format } else {
                    r.problem("\(path).Format", "expected \"combined\" or \"json\"")
                }
            }
            return log
        }?.first
    }
}
