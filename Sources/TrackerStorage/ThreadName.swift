import CLinux

/// Names the calling thread as `top -H`, `ps -L`, `perf` and `bench/threads.sh` show it.
/// Foundation's `Thread.name`, set before `start()`, names only the `Thread` object on Linux: the
/// commit and fsync threads showed under the name of the Dispatch worker that started them
/// ("com.apple.root.default-qos", cut to its last 15 bytes), both alike.
public enum ThreadName {
    /// The kernel keeps 15 bytes; a longer name is cut there rather than refused.
    public static func setCurrent(_ name: String) {
        var bytes = Array(name.utf8.prefix(15))
        bytes.append(0)
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { clinux_name_thread($0.baseAddress!) }
        }
    }

    /// The calling thread's name (empty where it cannot be read).
    public static var current: String {
        var buffer = [CChar](repeating: 0, count: 16)
        guard clinux_thread_name(&buffer) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
