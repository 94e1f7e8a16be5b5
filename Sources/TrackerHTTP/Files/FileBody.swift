import NIOCore

/// A response body sent from an open file with `sendfile` (a `FileRegion`), so large files pass
/// without being read into memory. The channel handler closes the handle once written.
public final class FileBody: Sendable {
    public let handle: NIOFileHandle
    public let offset: Int
    public let length: Int

    public init(handle: NIOFileHandle, offset: Int, length: Int) {
        self.handle = handle
        self.offset = offset
        self.length = length
    }

    public func close() {
        try? handle.close()
    }
}
