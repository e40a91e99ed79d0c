import Foundation
import Logging

/// A message between instances: what changed (`kind`, e.g. "schema") and which names it concerns.
public struct BusMessage: Sendable, Equatable {
    public let kind: String
    public let names: [String]

    public init(kind: String, names: [String] = []) {
        self.kind = kind
        self.names = names
    }
}

/// Pub/sub between the instances sharing one Redis. Each instance ignores its own messages. After the bus
/// reconnects, messages may have been missed: `onResync` asks the owner to drop everything it caches.
public final class ClusterBus: Sendable {
    private let client: RedisClient
    private let subscriber: RedisSubscriber
    private let channel: String
    /// This instance's id, sent with each message.
    public let origin = UUID().uuidString

    public init(client: RedisClient, channel: String, logger: Logger) {
        self.client = client
        self.channel = channel
        subscriber = RedisSubscriber(configuration: client.configuration, channel: channel, logger: logger)
    }

    public func start(onMessage: @escaping @Sendable (BusMessage) -> Void, onResync: @escaping @Sendable () -> Void) async {
        let origin = self.origin
        await subscriber.start(onMessage: { bytes in
            let fields = String(decoding: bytes, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[0] != origin else { return }
            onMessage(BusMessage(kind: fields[1], names: fields[2].split(separator: ",").map(String.init)))
        }, onReconnect: onResync)
    }

    /// Publishes to the other instances; a failure (Redis away) is thrown for the caller to log.
    public func publish(_ message: BusMessage) async throws {
        let text = [origin, message.kind, message.names.joined(separator: ",")].joined(separator: "\t")
        _ = try await client.command(["PUBLISH", channel, text])
    }

    public func shutdown() async {
        await subscriber.shutdown()
    }
}
