import NIOPosix
import Synchronization

/// Runs transforms on threads of their own — never the event loops, never Swift's cooperative pool — at most
/// `maxConcurrent` at once, with at most `maxQueue` waiting; past that a request is refused at once (503) rather
/// than queued without bound. A job that waited past its deadline is not started.
final class TransformExecutor: Sendable {
    private let pool: NIOThreadPool
    /// Transforms that may run or wait at once.
    let capacity: Int
    private let admitted = Mutex(0)

    init(maxConcurrent: Int, maxQueue: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, maxConcurrent))
        pool.start()
        capacity = max(1, maxConcurrent) + max(0, maxQueue)
    }

    /// Transforms running or waiting now.
    var load: Int { admitted.withLock { $0 } }

    /// `deadline` is in `depot_vips_monotonic_us` time.
    func run<T: Sendable>(deadline: Int64, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let accepted = admitted.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard accepted else { throw AssetsError.queueFull }
        defer { admitted.withLock { $0 -= 1 } }
        return try await pool.runIfActive {
            guard VipsClock.now < deadline else { throw AssetsError.timedOut }
            return try body()
        }
    }

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
