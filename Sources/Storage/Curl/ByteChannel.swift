import Foundation
import NIOCore

/// Hands chunks from a blocking producer thread (a libcurl callback) to an async consumer, a few at a
/// time: the producer waits while the consumer is behind, so memory stays bounded; when the consumer
/// goes away the producer is told to stop.
final class ByteChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffered: [ByteBuffer] = []
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?
    private var ending: (any Error)??   // nil: open · .some(nil): finished · .some(error): failed
    private var abandoned = false
    private let capacity: Int
    private let stallLimit: TimeInterval

    /// `stallLimit`: how long the producer waits for a consumer that reads nothing before giving up.
    init(capacity: Int = 8, stallLimit: TimeInterval = 120) {
        self.capacity = capacity
        self.stallLimit = stallLimit
    }

    /// Producer side; blocks while the buffer is full. Returns false when the consumer is gone.
    func push(_ chunk: ByteBuffer) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(stallLimit)
        // A consumer may start waiting while the producer sleeps: look for it again after every wake-up.
        while !abandoned {
            if let waiter {
                self.waiter = nil
                waiter.resume(returning: chunk)
                return true
            }
            if buffered.count < capacity {
                buffered.append(chunk)
                return true
            }
            if !condition.wait(until: deadline) { abandoned = true }
        }
        return false
    }

    /// Producer side: no more chunks (with `error` when the transfer failed).
    func finish(_ error: (any Error)? = nil) {
        condition.lock()
        defer { condition.unlock() }
        guard ending == nil else { return }
        ending = .some(error)
        if let waiter {
            self.waiter = nil
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// Consumer side: the next chunk, `nil` at the end.
    func next() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if !buffered.isEmpty {
                continuation.resume(returning: buffered.removeFirst())
                condition.broadcast()
            } else if let ending {
                if let error = ending { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
            } else {
                waiter = continuation
            }
        }
    }

    /// Consumer side: stop the producer; buffered chunks are dropped.
    func abandon() {
        condition.lock()
        abandoned = true
        buffered.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// A stream over the consumer side; dropping the stream abandons the channel.
    func stream() -> ByteStream {
        let token = AbandonOnRelease(self)
        return ByteStream(unfolding: { try await token.channel.next() })
    }
}

/// Abandons its channel when the stream that holds it is released (the consumer stopped reading).
private final class AbandonOnRelease: Sendable {
    let channel: ByteChannel
    init(_ channel: ByteChannel) { self.channel = channel }
    deinit { channel.abandon() }
}
