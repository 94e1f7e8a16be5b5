import TrackerCore

enum JSONQuote {
    static func append(_ text: String, to out: inout String) {
        JSONWriter.quote(text, into: &out)
    }
}
