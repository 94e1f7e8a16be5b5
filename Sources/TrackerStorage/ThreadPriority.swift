#if canImport(Glibc)
import Glibc
#endif

/// The commit thread runs below the event loops: where they share a core, the writer then runs
/// when the loops have nothing to do, takes everything they submitted meanwhile as one batch, and
/// never preempts a loop in the middle of a burst of requests. (The fsync thread does not: it
/// only waits for the disk, and the answers wait for it, see `CommitSyncer`.) With a lower
/// priority and no commit delay, a batch is as large as the load makes it and the core does not
/// idle on a timer (docs/storage.md, "When a batch is committed").
public enum ThreadPriority {
    /// Raises the calling thread's nice value by `steps` (0: unchanged). On Linux nice is a
    /// property of each thread and `who` 0 is the calling one. Lowering a priority needs no
    /// privilege (raising it back would, so this is done once, as a thread starts).
    public static func lowerCurrentThread(by steps: Int) {
        #if os(Linux)
        guard steps > 0 else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        _ = setpriority(which, 0, min(getpriority(which, 0) + Int32(steps), 19))
        #endif
    }

    /// The calling thread's nice value.
    public static var currentNice: Int32 {
        #if os(Linux)
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return 0
        #endif
    }
}
