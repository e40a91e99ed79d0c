import Foundation
import Logging
import NIOPosix
import Synchronization

/// Listens on one Redis pub/sub channel on a connection and thread of its own. A dropped connection is made
/// again (with a pause); `onReconnect` then tells the owner that messages may have been missed meanwhile.
public final class RedisSubscriber: Sendable {
    private let configuration: RedisConfiguration
    private let channel: String
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let stopped = StopFlag()
    private let logger: Logger

    public init(configuration: RedisConfiguration, channel: String, logger: Logger) {
        self.configuration = configuration
        self.channel = channel
        self.logger = logger
    }

    /// Starts listening; `onMessage` gets each message's bytes (on the subscriber's thread). Waits up to
    /// `readyWithin` seconds for the subscription, so an instance does not serve before it hears the others.
    public func start(readyWithin: Double = 2, onMessage: @escaping @Sendable ([UInt8]) -> Void, onReconnect: @escaping @Sendable () -> Void) async {
        thread.start()
        let ready = StopFlag()
        let configuration = self.configuration, channel = self.channel, stopped = self.stopped, logger = self.logger
        thread.submit { _ in
            var connected = false
            var everConnected = false
            while !stopped.isSet {
                do {
                    let connection = try RedisConnection(configuration)
                    _ = try connection.run([Array("SUBSCRIBE".utf8), Array(channel.utf8)])
                    // Whatever was published before this subscription (or during a reconnect) was missed.
                    onReconnect()
                    ready.set()
                    if !connected, everConnected { logger.notice("cluster bus reconnected") }
                    connected = true
                    everConnected = true
                    while !stopped.isSet {
                        guard let push = try connection.nextPush(waiting: 250) else { continue }
                        if case .array(let parts) = push, parts.count == 3, parts[0] == .string(Array("message".utf8)), let body = parts[2].bytes {
                            onMessage(body)
                        }
                    }
                } catch {
                    if connected { logger.warning("cluster bus lost its Redis connection; retrying", metadata: ["error": "\(error)"]) }
                    connected = false
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(readyWithin * 1000))
        while !ready.isSet, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }

    public func shutdown() async {
        stopped.set()
        try? await thread.shutdownGracefully()
    }
}

/// A flag set once, read from any thread.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
