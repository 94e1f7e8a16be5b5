#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Foundation
import NIOCore
import Synchronization
import TrackerStorage

/// One thread with its own epoll set: accepts from the shared listening socket, reads plain
/// HTTP/1 requests itself, and serves those answered from memory (the tracking routes) on the
/// socket directly; a connection that sends anything else is handed to NIO (`DirectHandoff`).
///
/// Why not NIO for these too: under the tracking benchmark NIO's channel machinery (selector,
/// pipeline, buffers, promises) was 2.4 µs of each request's 17.5 µs on the event loop, the
/// largest share of user-space time that was not the request's own work. Here a request costs
/// one `recv`, one `send`, and a dictionary lookup of its connection.
///
/// Everything but `submit` and `complete` runs on the lane's thread.
final class DirectLane: CompletionExecutor, @unchecked Sendable {
    let serving: DirectServing
    let listenFD: Int32
    /// NIO's loop that takes this lane's handed-off connections.
    let loop: any EventLoop
    let epoll: Int32
    let wake: Int32
    /// Work from other threads (answers, completions, stop), run on the lane's thread; once the
    /// thread has ended, run by whoever submits it (answers still due to connections it closed:
    /// the requests' slots must still be released, or a graceful stop waits for them in vain).
    let inbox = Mutex<(tasks: [@Sendable () -> Void], ended: Bool)>(([], false))
    var connections: [Int32: DirectConnection] = [:]
    var thread = pthread_t()
    var accepting = true
    /// Set by `stop`: leave when no connection is left.
    var stopping = false
    var lastTick: UInt64 = 0
    let onExit: @Sendable () -> Void
    /// The thread's name, as `top -H` shows it.
    let name: String
    /// The one allocator for answers' buffers (NIO's is a struct of function pointers).
    let allocator = ByteBufferAllocator()
    /// Header texts its connections' requests repeat, reused (used on the lane's thread only).
    let headerTexts = HeaderTexts()

    init(serving: DirectServing, listenFD: Int32, loop: any EventLoop, name: String, onExit: @escaping @Sendable () -> Void) throws {
        self.name = name
        self.serving = serving
        self.listenFD = listenFD
        self.loop = loop
        self.onExit = onExit
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard epoll >= 0, wake >= 0 else { throw DirectError.system("epoll", errno) }
        try add(wake, events: EPOLLIN.rawValue)
        // Exclusive: one lane is woken per new connection, not all of them.
        try add(listenFD, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue)
    }

    deinit {
        close(epoll)
        close(wake)
    }

    func add(_ fd: Int32, events: UInt32) throws {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { throw DirectError.system("epoll_ctl", errno) }
    }

    func modify(_ fd: Int32, events: UInt32) {
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
    }

    func start() {
        Thread { [self] in run() }.start()
    }

    var isCurrent: Bool { pthread_equal(thread, pthread_self()) != 0 }

    func run() {
        thread = pthread_self()
        ThreadName.setCurrent(name)
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer {
            events.deallocate()
            onExit()
        }
        lastTick = Self.now()
        while !(stopping && connections.isEmpty) {
            let count = epoll_wait(epoll, events, Int32(capacity), 250)
            if count < 0, errno != EINTR { break }
            for index in 0..<max(0, Int(count)) {
                let event = events[index]
                let fd = event.data.fd
                if fd == listenFD {
                    acceptAll()
                } else if fd == wake {
                    var value: UInt64 = 0
                    _ = read(wake, &value, 8)
                    runInbox()
                } else if let connection = connections[fd] {
                    connection.ready(event.events)
                }
            }
            let now = Self.now()
            if now - lastTick >= 250_000_000 {
                lastTick = now
                for connection in Array(connections.values) { connection.checkClocks(now: now) }
                if acceptPaused, accepting {
                    acceptPaused = false
                    try? add(listenFD, events: EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue)
                }
            }
        }
        for connection in Array(connections.values) { connection.close() }
        let left = inbox.withLock { inbox in
            inbox.ended = true
            defer { inbox.tasks = [] }
            return inbox.tasks
        }
        for task in left { task() }
    }

    func acceptAll() {
        while accepting {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { clinux_accept4(listenFD, $0, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)) }
            }
            guard fd >= 0 else {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EAGAIN: return  // another lane took it, or none is left
                default:
                    // Out of descriptors or memory: the socket stays readable, and watching it
                    // would spin. Not watched until the next tick, as NIO backs off.
                    pauseAccepting()
                    return
                }
            }
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = DirectConnection(fd: fd, peer: DirectAddress.text(address), lane: self)
            do {
                try add(fd, events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
                connections[fd] = connection
            } catch {
                Glibc.close(fd)
            }
        }
    }

    /// Whether the listening socket is out of the epoll set until the next tick.
    var acceptPaused = false

    func pauseAccepting() {
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, listenFD, &event)
        acceptPaused = true
    }

    /// Runs `task` on the lane's thread.
    func submit(_ task: @escaping @Sendable () -> Void) {
        let queued = inbox.withLock { inbox -> Bool? in
            guard !inbox.ended else { return nil }
            inbox.tasks.append(task)
            return inbox.tasks.count == 1
        }
        guard let first = queued else { return task() }
        // Only the first task since the lane last emptied the inbox needs to wake it, after the
        // unlock: woken under it, the lane preempted the thread that brought the answers (the
        // sync thread, at the lane's priority, or the commit thread, below it) and then waited
        // for its lock, a futex round trip that was 3 % of the lane's time. The eventfd stays
        // open as long as the lane exists.
        if first { _ = eventfd_write(wake, 1) }
    }

    func runInbox() {
        let tasks = inbox.withLock { inbox in
            defer { inbox.tasks = [] }
            return inbox.tasks
        }
        for task in tasks { task() }
    }

    /// The ingest queue's answers for this lane's requests, all in one task.
    func complete(_ completions: [IngestQueue.Completion], with result: Result<Void, StorageError>) {
        submit {
            for completion in completions { completion(result) }
        }
    }

    /// Stops accepting; connections close once their current answer is out (idle ones at once),
    /// and the lane's thread ends when none is left. `closeAll` then ends those still waiting.
    func stop(listenerRemoved: @escaping @Sendable () -> Void) {
        submit { [self] in
            accepting = false
            stopping = true
            var event = epoll_event()
            if !acceptPaused { _ = epoll_ctl(epoll, EPOLL_CTL_DEL, listenFD, &event) }
            listenerRemoved()
            for connection in Array(connections.values) { connection.closeWhenIdle() }
        }
    }

    func closeAll() {
        submit { [self] in
            for connection in Array(connections.values) { connection.close() }
        }
    }

    func forget(_ fd: Int32) {
        connections.removeValue(forKey: fd)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

enum DirectError: Error, CustomStringConvertible {
    case system(String, Int32)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        }
    }
}
