import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` and reaped with `waitpid` on its own pid.
/// Foundation's `Process` stopped reaping children in this test process once a long-lived server
/// (ClickHouse) had been started from it: short commands stayed zombies and `waitUntilExit` never
/// returned. Children start with an empty signal mask and default handlers, so SIGTERM reaches
/// them even though the test's threads block it.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    let lock = NSLock()
    var status: Int32?

    /// Output goes to the files given (or /dev/null); `environment` adds to this process's.
    public init(_ executable: String, _ arguments: [String], stdout: String? = nil, stderr: String? = nil,
                environment: [String: String] = [:]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let result = posix_spawnp(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Shell.Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// Whether it still runs (reaping it if it ended).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if status != nil { return false }
        var raw: Int32 = 0
        let done = waitpid(pid, &raw, WNOHANG)
        if done == pid { status = raw; return false }
        return done == 0
    }

    /// Waits for it to end; its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func wait() -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        if status == nil {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
            status = raw
        }
        let raw = status!
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand: the C macros are not imported.
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    public func signal(_ number: Int32) {
        kill(pid, number)
    }
}
