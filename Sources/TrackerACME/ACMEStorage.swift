import Foundation
import Synchronization

/// Where ACME state lives in the data directory. Private keys are written 0600 in 0700 folders,
/// through a temporary file and a rename so a crash never leaves half a key.
public struct ACMEStorage: Sendable {
    public let root: String

    /// Accounts are shared by all folders; certificates are kept per folder.
    let accounts: String

    public init(dataDirectory: String, folder: String? = nil) {
        let base = (dataDirectory as NSString).appendingPathComponent("certificates")
        accounts = (base as NSString).appendingPathComponent("acme/accounts")
        root = folder.map { (base as NSString).appendingPathComponent($0) } ?? base
    }

    /// The names of the certificates stored in this folder.
    public func storedNames() -> [String] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return folders.filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/chain.pem") }
            .map { $0.replacingOccurrences(of: "_wildcard_", with: "*") }
    }

    struct StoredAccount: Codable {
        var url: String?
        var key: String
    }

    /// One account per CA directory and contact.
    func accountPath(directoryURL: String, contact: String?) -> String {
        let name = Self.safe(directoryURL.replacingOccurrences(of: "https://", with: "")) + "-" + Self.safe(contact ?? "anonymous")
        return (accounts as NSString).appendingPathComponent("\(name).json")
    }

    /// Orders running at once (certificates on demand) must share one account, not race to create two.
    static let accountLock = Mutex(())

    public func loadAccount(directoryURL: String, contact: String?) throws -> (key: AccountKey, url: String?) {
        try Self.accountLock.withLock { _ in try loadOrCreateAccount(directoryURL: directoryURL, contact: contact) }
    }

    func loadOrCreateAccount(directoryURL: String, contact: String?) throws -> (key: AccountKey, url: String?) {
        let path = accountPath(directoryURL: directoryURL, contact: contact)
        if let data = FileManager.default.contents(atPath: path) {
            let stored = try JSONDecoder().decode(StoredAccount.self, from: data)
            return (try AccountKey(pem: stored.key), stored.url)
        }
        let key = AccountKey()
        try write(path, try JSONEncoder().encode(StoredAccount(url: nil, key: key.pem)))
        return (key, nil)
    }

    public func saveAccount(directoryURL: String, contact: String?, key: AccountKey, url: String) throws {
        try write(accountPath(directoryURL: directoryURL, contact: contact), try JSONEncoder().encode(StoredAccount(url: url, key: key.pem)))
    }

    func certificateFolder(_ names: [String]) -> String {
        (root as NSString).appendingPathComponent(Self.safe(names[0]))
    }

    public func loadCertificate(names: [String]) -> (chainPEM: String, keyPEM: String)? {
        let folder = certificateFolder(names)
        guard let chain = FileManager.default.contents(atPath: folder + "/chain.pem"),
              let key = FileManager.default.contents(atPath: folder + "/key.pem") else { return nil }
        return (String(decoding: chain, as: UTF8.self), String(decoding: key, as: UTF8.self))
    }

    public func saveCertificate(names: [String], chainPEM: String, keyPEM: String) throws {
        let folder = certificateFolder(names)
        try write(folder + "/key.pem", Data(keyPEM.utf8))
        try write(folder + "/chain.pem", Data(chainPEM.utf8))
    }

    func write(_ path: String, _ data: Data) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// A name usable as a file name: `*.example.com` → `_wildcard_.example.com`.
    static func safe(_ text: String) -> String {
        String(text.lowercased().replacingOccurrences(of: "*", with: "_wildcard_").map { ch in
            ch.isLetter || ch.isNumber || ch == "." || ch == "-" || ch == "_" || ch == "@" ? ch : "_"
        })
    }
}
