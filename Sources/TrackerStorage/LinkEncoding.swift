import TrackerCore

/// The text forms of a link's fields and a key's sites, shared by the SQL backends.
public enum LinkEncoding {
    public static func fields(_ map: [String: String]) -> String {
        JSONWriter.serialize(map)
    }

    public static func fields(_ text: String?) -> [String: String] {
        guard let text, case .object(let object)? = try? JSONParser.parse(Array(text.utf8)) else { return [:] }
        return object.compactMapValues(\.text)
    }

    public static func sites(_ list: [String]) -> String {
        JSONWriter.serialize(.array(list.map(JSONValue.string)))
    }

    public static func sites(_ text: String?) -> [String] {
        guard let text, case .array(let items)? = try? JSONParser.parse(Array(text.utf8)) else { return [] }
        return items.compactMap(\.text)
    }
}
