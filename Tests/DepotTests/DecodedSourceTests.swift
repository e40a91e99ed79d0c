@testable import Assets
import Foundation
import NIOCore
import Storage
import Testing

/// The widths of one source (a page's `srcset`) made from one decode: a decode waits for the transforms asked of
/// the same source meanwhile and opens at the level the largest needs; the level is kept, within its byte budget,
/// for the widths asked later; a replaced original is never made from the old one's pixels. A lone transform of a
/// source not transformed lately streams it (nothing kept); the next transform of that source keeps its level.
@Suite struct DecodedSourceTests {
    typealias Engine = TransformEngineTests.Engine

    static let srcset = [160, 240, 320, 400]
    /// What is kept, and what counts as transformed lately, must not age out while a loaded machine runs the
    /// parallel suite (steps of these tests were seen 30 s apart there): expiry is not what they test.
    static let ttl = 3600.0

    /// Holds the only transform thread until `body` has queued its work, so that what is asked together is
    /// waiting together when the thread is free (no race with a clock).
    static func holdingTheExecutor(_ engine: Engine, until ready: @escaping @Sendable () -> Bool,
                                   _ body: @escaping @Sendable () async throws -> [Int]) async throws -> [Int] {
        let release = DispatchSemaphore(value: 0)
        let holder = Task { try await engine.transformer.executor.run(timeout: 60) { _ in release.wait() } }
        let started = Date()
        while engine.transformer.load.current == 0, Date().timeIntervalSince(started) < 10 { try await Task.sleep(for: .milliseconds(5)) }
        let work = Task { try await body() }
        while !ready(), Date().timeIntervalSince(started) < 60 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(ready(), "the requests are waiting for the decode: \(engine.transformer.sources.waiting) after \(Date().timeIntervalSince(started)) s, load \(engine.transformer.load.current)")
        release.signal()
        try await holder.value
        return try await work.value
    }

    @Test(arguments: StorageKind.allCases)
    func srcsetWidthsOfOneSourceShareOneDecode(kind: StorageKind) async throws {
        try await TransformEngineTests.with(kind, configure: { $0.maxConcurrent = 1; $0.sourceCacheTTL = Self.ttl }) { engine in
            // Stored on its side (EXIF 6): 3000×2000 stored, 2000×3000 upright.
            let source = try await engine.source(TransformEngineTests.card(3000, 2000, orientation: 6), type: "image/jpeg")
            let widths = try await Self.holdingTheExecutor(engine, until: { engine.transformer.sources.waiting == Self.srcset.count }) {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for width in Self.srcset {
                        group.addTask { try await engine.output(source, ["width": "\(width)"]).width }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            #expect(widths.sorted() == Self.srcset)
            #expect(engine.transformer.decodeCount == 1, "four widths, one decode (at 1/4: 750×500)")
            #expect(engine.transformer.transformCount == Self.srcset.count)

            // Later widths no larger than the level are made from the kept level, upright and to size.
            let later = try await engine.output(source, ["width": "500", "height": "500", "fit": "cover"])
            #expect((later.width, later.height, later.orientation) == (500, 500, 1))
            let tall = try await engine.output(source, ["width": "200"])
            #expect((tall.width, tall.height) == (200, 300))
            #expect(engine.transformer.decodeCount == 1)

            // A width that needs more pixels than the level holds decodes again, at its own level.
            #expect(try await engine.output(source, ["width": "900"]).width == 900)
            #expect(engine.transformer.decodeCount == 2)
            #expect(try await engine.output(source, ["width": "700"]).width == 700)
            #expect(engine.transformer.decodeCount == 2, "the larger level replaced the smaller one")
        }
    }

    @Test(arguments: StorageKind.allCases)
    func aReplacedOriginalIsNeverMadeFromTheOldDecode(kind: StorageKind) async throws {
        try await TransformEngineTests.with(kind, configure: { $0.sourceCacheTTL = Self.ttl }) { engine in
            let source = try await engine.source(TransformEngineTests.card(2000, 1500), type: "image/jpeg")
            #expect(try await engine.output(source, ["width": "400"]).height == 300)
            #expect(engine.transformer.sources.bytes == 0, "a lone transform streams its source")
            #expect(try await engine.output(source, ["width": "360"]).height == 270)
            #expect(engine.transformer.decodeCount == 2)
            #expect(engine.transformer.sources.bytes > 0, "the second transform of the source keeps its level")
            #expect(try await engine.output(source, ["width": "320"]).height == 240)
            #expect(engine.transformer.decodeCount == 2)

            // Replaced in storage under the same key, by another instance (nothing here was told): portrait now.
            _ = try await engine.driver.write(source.key, body: TestStorage.stream(ByteBuffer(bytes: TransformEngineTests.card(1500, 2000))))
            let replaced = try await engine.output(source, ["width": "300"])
            #expect((replaced.width, replaced.height) == (300, 400))
            let again = try await engine.output(source, ["width": "280"])
            #expect((again.width, again.height) == (280, 373))
            #expect(engine.transformer.decodeCount == 4)

            // Removing the file's derivatives forgets its decoded levels too.
            try await engine.transformer.removeDerivatives(fileID: source.fileID) { _ in engine.driver }
            #expect(engine.transformer.sources.bytes == 0)
        }
    }

    @Test func decodedSourcesStayWithinTheirByteBudget() async throws {
        // A 2000×1500 JPEG to 1000 px opens at 1/2: 1000×750×3 = 2.25 MB; two do not fit in 3 MB.
        let budget = 3_000_000
        try await TransformEngineTests.with(.local, configure: { $0.sourceCacheMaxMemory = budget; $0.sourceCacheTTL = Self.ttl }) { engine in
            let first = try await engine.source(TransformEngineTests.card(2000, 1500), type: "image/jpeg")
            let second = try await engine.source(TransformEngineTests.card(2000, 1500), type: "image/jpeg")
            for source in [first, second] {
                _ = try await engine.output(source, ["width": "990"])   // alone: streamed
                _ = try await engine.output(source, ["width": "1000"])  // again: its level is kept
                #expect(engine.transformer.sources.bytes == 2_250_000, "one level at a time fits")
            }
            #expect(engine.transformer.decodeCount == 4)
            _ = try await engine.output(second, ["width": "900"])
            #expect(engine.transformer.decodeCount == 4)
            _ = try await engine.output(first, ["width": "900"])
            #expect(engine.transformer.decodeCount == 5, "the first source's level was not kept")

            // A level larger than the whole budget is decoded for its transform and not kept.
            let large = try await engine.source(TransformEngineTests.card(2400, 1800), type: "image/jpeg")
            #expect(try await engine.output(large, ["width": "2000"]).width == 2000)
            #expect(try await engine.output(large, ["width": "1900"]).width == 1900)
            #expect(engine.transformer.decodeCount == 7)
            #expect(engine.transformer.sources.bytes <= budget)
        }
    }
}
