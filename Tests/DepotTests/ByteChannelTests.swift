import Foundation
import NIOCore
@testable import Storage
import Testing

/// The hand-over from libcurl's thread to an async reader.
@Suite struct ByteChannelTests {
    @Test func keepsOrderWhileTheProducerOutrunsTheConsumer() async throws {
        let channel = ByteChannel(capacity: 4)
        Thread.detachNewThread {
            for i in 0..<1_000 {
                var chunk = ByteBuffer()
                chunk.writeInteger(UInt32(i))
                _ = channel.push(chunk)
            }
            channel.finish()
        }
        var received: [UInt32] = []
        for try await var chunk in channel.stream() {
            received.append(chunk.readInteger()!)
            if received.count % 7 == 0 { await Task.yield() }
        }
        #expect(received == Array(0..<1_000))
    }

    @Test func aReaderThatGoesAwayStopsTheProducer() async throws {
        let channel = ByteChannel(capacity: 2)
        let stopped = OneShot<Int>()
        Thread.detachNewThread {
            var pushed = 0
            while channel.push(ByteBuffer(string: "chunk")) { pushed += 1 }
            stopped.set(.success(pushed))
        }
        do {
            var iterator = channel.stream().makeAsyncIterator()
            _ = try await iterator.next()
        }
        let pushed = try await stopped.wait()
        #expect(pushed < 10)
    }
}
