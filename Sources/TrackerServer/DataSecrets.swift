import Foundation
import TrackerCore

/// Secrets generated on first start and kept in the data directory (mode 0600): the default salt
/// for e-mail/phone/user-name hashes and the key of the IP hash. Losing them only means new hashes
/// no longer match old ones; they never leave the machine.
public struct DataSecrets: Sendable {
    public let privateHashSalt: String
    public let ipHashKey: [UInt8]

    public static func loadOrCreate(directory: String, random: any RandomSource = SystemRandomSource()) throws -> DataSecrets {
        let path = (directory as NSString).appendingPathComponent("secrets.json")
        if let data = FileManager.default.contents(atPath: path) {
            guard case .object(let fields)? = try? JSONParser.parse(Array(data)),
                  case .string(let salt)? = fields["private_hash_salt"],
                  case .string(let key)? = fields["ip_hash_key"], let keyBytes = Data(base64Encoded: key) else {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
            }
            return DataSecrets(privateHashSalt: salt, ipHashKey: Array(keyBytes))
        }
        let secrets = DataSecrets(privateHashSalt: Data(random.bytes(24)).base64EncodedString(), ipHashKey: random.bytes(32))
        let json = JSONWriter.serialize(.object([
            "private_hash_salt": .string(secrets.privateHashSalt),
            "ip_hash_key": .string(Data(secrets.ipHashKey).base64EncodedString()),
        ]))
        guard FileManager.default.createFile(atPath: path, contents: Data(json.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return secrets
    }
}
