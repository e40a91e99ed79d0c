import NIOPosix
import Synchronization

/// Runs transforms on threads of their own — never the event loops, never Swift's cooperative pool — at most
/// `maxConcurrent` at once, with at most `maxQueue` waiting; past that a request is refused at once (503) rather
/// than queued without bound. A job's deadline counts from its start.
final class TransformExecutor: Sendable {
    private let pool: NIOThreadPool
    /// Transforms that may run or wait at once.
    let capacity: Int
    private let admitted = Mutex(0)
    /// When free memory was last handed back (VipsClock time).
    private let lastRelease = Mutex<Int64>(0)

    init(maxConcurrent: Int, maxQueue: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, maxConcurrent))
        pool.start()
        capacity = max(1, maxConcurrent) + max(0, maxQueue)
    }

    /// Transforms running or waiting now.
    var load: Int { admitted.withLock { $0 } }

    /// Runs `body` with its deadline (`depot_vips_monotonic_us` time), `timeout` seconds from when it starts: a
    /// request admitted to the queue is answered, not timed out while it waits (the queue's length bounds the
    /// wait). The caller is answered `timedOut` at the deadline even when the work can't be stopped then (an
    /// encoder such as libheif's does not look at libvips's clock): the thread finishes on its own and counts
    /// toward the load until it has.
    func run<T: Sendable>(timeout: Double, _ body: @escaping @Sendable (_ deadline: Int64) throws -> T) async throws -> T {
        let accepted = admitted.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard accepted else { throw AssetsError.queueFull }
        let answered = FirstAnswer()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            @Sendable func answer(_ result: Result<T, any Error>) {
                if answered.claim() { continuation.resume(with: result) }
            }
            pool.submit { state in
                let deadline = VipsClock.deadline(after: timeout)
                let timer = Task {
                    try await Task.sleep(for: .microseconds(max(0, deadline - VipsClock.now)) + Self.grace)
                    answer(.failure(AssetsError.timedOut))
                }
                defer {
                    timer.cancel()
                    self.admitted.withLock { $0 -= 1 }
                    self.releaseFreeMemory()
                }
                guard case .active = state else { return answer(.failure(AssetsError.queueFull)) }
                answer(Result { try body(deadline) })
            }
        }
    }

    /// A transform frees tens of megabytes of decode and resize buffers, spread over the allocator's arenas between
    /// what other threads still hold; glibc keeps such pages, and a soak's RSS stepped up after bursts of transforms
    /// and stayed there (bench/soak.sh). Handing them back at most every `releaseInterval`, on this pool's thread,
    /// bounds that at the cost of one brief walk of the heap.
    private func releaseFreeMemory() {
        let now = VipsClock.now
        let due = lastRelease.withLock { last in
            guard now - last >= Self.releaseInterval else { return false }
            last = now
            return true
        }
        if due { depot_release_free_memory() }
    }

    /// Microseconds between two hand-backs of free memory.
    static let releaseInterval: Int64 = 2_000_000

    /// True for the first caller only: a job's result and its deadline race to answer.
    private final class FirstAnswer: Sendable {
        private let done = Mutex(false)
        func claim() -> Bool {
            done.withLock { done in
                defer { done = true }
                return !done
            }
        }
    }

    /// How long after its deadline a transform that has not stopped is answered for.
    static let grace = Duration.milliseconds(250)

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

import CVips

/// The monotonic clock libvips's deadlines are measured on (microseconds).
enum VipsClock {
    static var now: Int64 { depot_vips_monotonic_us() }

    static func deadline(after seconds: Double) -> Int64 { now + Int64(seconds * 1_000_000) }
}
