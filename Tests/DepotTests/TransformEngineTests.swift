@testable import Assets
import Database
import Foundation
import NIOCore
import Storage
import Testing

/// The transform engine against real storage (local folder and the S3 test server): decoded output geometry,
/// formats and alpha; limits; single flight; stored derivatives reused and removed.
@Suite struct TransformEngineTests {
    static let vips = try! VipsRuntime.start(AssetsConfiguration())

    struct Engine {
        let transformer: AssetTransformer
        let driver: any StorageDriver
        let database: any Database

        /// Stores `bytes` as a file's original and describes it as the transformer's source.
        func source(_ bytes: [UInt8], type: String, focal: FocalPoint? = nil) async throws -> TransformSource {
            let id = UUID().uuidString.lowercased()
            let ext = ImageFormat(mediaType: type)?.fileExtension ?? "bin"
            _ = try await driver.write("\(id).\(ext)", body: TestStorage.stream(ByteBuffer(bytes: bytes)))
            return TransformSource(fileID: id, storage: "test", driver: driver, key: "\(id).\(ext)", mediaType: type, focalPoint: focal)
        }

        func derivative(_ source: TransformSource, _ query: [String: String], accept: String? = nil) async throws -> Derivative {
            let options = try #require(try TransformRequest.parse(query, settings: AssetSettings(), limits: transformer.configuration))
            return try #require(try await transformer.derivative(source, options: options, accept: accept))
        }

        /// The derivative's bytes (from memory or storage), decoded.
        func output(_ source: TransformSource, _ query: [String: String], accept: String? = nil) async throws
            -> (width: Int, height: Int, bands: Int, hasAlpha: Bool, loader: String, orientation: Int) {
            try TransformEngineTests.vips.describe(try await bytes(try await derivative(source, query, accept: accept)))
        }

        func bytes(_ derivative: Derivative) async throws -> [UInt8] {
            if let bytes = derivative.bytes { return bytes }
            let stored = try #require(try await TestStorage.collect(try await driver.read(derivative.record.key, range: nil)))
            return Array(stored.readableBytesView)
        }
    }

    static func with(_ kind: StorageKind, configure: (inout AssetsConfiguration) -> Void = { _ in },
                     _ body: (Engine) async throws -> Void) async throws {
        try await TestDatabase.with(.sqlite) { _, database in
            try await Migrator.migrate(database, logger: TestServices.logger)
            try await TestStorage.with(kind) { driver in
                var configuration = AssetsConfiguration()
                configure(&configuration)
                let transformer = AssetTransformer(configuration: configuration, database: database, logger: TestServices.logger)
                do {
                    try await body(Engine(transformer: transformer, driver: driver, database: database))
                } catch {
                    await transformer.shutdown()
                    throw error
                }
                await transformer.shutdown()
            }
        }
    }

    static func card(_ width: Int, _ height: Int, bands: Int = 3, orientation: Int = 1, format: ImageFormat = .jpeg) -> [UInt8] {
        try! vips.testCard(width: width, height: height, bands: bands, orientation: orientation, format: format)
    }

    /// Shrink-on-load: a JPEG and a WebP, from a file and from memory, open at the decoder's reduced size (JPEG
    /// 1/8, WebP scale), so a large photo is never decoded whole for a thumbnail.
    @Test(arguments: [ImageFormat.jpeg, .webp])
    func sourcesOpenAtTheDecodersReducedSize(format: ImageFormat) throws {
        let bytes = Self.card(2400, 1600, format: format)
        let path = NSTemporaryDirectory() + "shrink-\(UUID().uuidString).\(format.fileExtension)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let header = try LoadStep.header(nil, path: path, maxInputPixels: .max)
        #expect(header.width == 2400)
        #expect(try LoadStep.open(nil, path: path, header: header, resize: (300, 200), sequential: true).width == 300)
        try bytes.withUnsafeBytes { raw in
            let header = try LoadStep.header(raw, path: nil, maxInputPixels: .max)
            #expect(try LoadStep.open(raw, path: nil, header: header, resize: (300, 200), sequential: true).width == 300)
        }
    }

    /// `ASSETS_AVIF_EFFORT` / `ASSETS_WEBP_EFFORT` reach the encoders: the same request at two efforts gives two
    /// different encodings of the same picture.
    @Test func encoderEffortsAreTheConfiguredOnes() async throws {
        var outputs: [String: [UInt8]] = [:]
        for effort in [0, 6] {
            try await Self.with(.local, configure: { $0.avifEffort = effort; $0.webpEffort = effort }) { engine in
                let photo = try await engine.source(Self.card(640, 480), type: "image/jpeg")
                for format in ["avif", "webp"] {
                    let bytes = try await engine.bytes(try await engine.derivative(photo, ["width": "320", "format": format]))
                    #expect(try Self.vips.describe(bytes).width == 320)
                    outputs["\(format) \(effort)"] = bytes
                }
            }
        }
        #expect(outputs["avif 0"] != nil && outputs["avif 0"] != outputs["avif 6"])
        #expect(outputs["webp 0"] != nil && outputs["webp 0"] != outputs["webp 6"])
    }

    @Test(arguments: StorageKind.allCases)
    func fitModesGiveSharpGeometry(kind: StorageKind) async throws {
        try await Self.with(kind) { engine in
            let photo = try await engine.source(Self.card(1200, 800), type: "image/jpeg")
            let cases: [([String: String], [Int])] = [
                (["width": "300"], [300, 200]),
                (["height": "100"], [150, 100]),
                (["width": "300", "height": "300"], [300, 300]),
                (["width": "300", "height": "300", "fit": "cover"], [300, 300]),
                (["width": "300", "height": "300", "fit": "contain"], [300, 300]),
                (["width": "300", "height": "300", "fit": "inside"], [300, 200]),
                (["width": "300", "height": "300", "fit": "outside"], [450, 300]),
                (["width": "2400"], [2400, 1600]),
                (["width": "2400", "withoutEnlargement": "true"], [1200, 800]),
                (["width": "2000", "height": "2000", "fit": "cover", "withoutEnlargement": "true"], [1200, 800]),
                (["width": "300", "height": "300", "transforms": #"[["rotate",90]]"#], [300, 300]),
                (["width": "300", "transforms": #"[["rotate",90]]"#], [300, 450]),
                (["width": "300", "transforms": #"[["rotate",-90],["flip"],["flop"],["greyscale"],["negate"]]"#], [300, 450]),
                (["width": "200", "transforms": ##"[["blur",2],["sharpen"],["tint","#ff0000"],["gamma",2.2,3],["median",3]]"##], [200, 133]),
                (["transforms": #"[["extract",{"left":100,"top":100,"width":500,"height":300}],["normalise"]]"#], [500, 300]),
                (["width": "100", "transforms": #"[["extract",{"left":0,"top":0,"width":400,"height":400}]]"#], [100, 100]),
                (["transforms": #"[["resize",{"width":120,"height":90,"fit":"contain"}],["toFormat","png"]]"#], [120, 90]),
                (["width": "250", "transforms": #"[["rotate",30]]"#], [250, 0]),
            ]
            for (query, expected) in cases {
                let out = try await engine.output(photo, query)
                if expected[1] == 0 { #expect(out.width == expected[0], "\(query)") } else {
                    #expect(out.width == expected[0] && out.height == expected[1], "\(query) → \(out.width)×\(out.height)")
                }
            }
            let png = try await engine.output(photo, ["transforms": #"[["resize",{"width":120}],["toFormat","png"]]"#])
            #expect(png.loader.hasPrefix("pngload"))
            let grey = try await engine.output(photo, ["width": "64", "transforms": #"[["greyscale"]]"#])
            #expect(grey.bands == 1)
        }
    }

    @Test(arguments: StorageKind.allCases)
    func orientationAlphaAndFormats(kind: StorageKind) async throws {
        try await Self.with(kind) { engine in
            // EXIF orientation 6: stored 600×400, shown 400×600. Applied before resizing; the output carries no EXIF.
            let turned = try await engine.source(Self.card(600, 400, orientation: 6), type: "image/jpeg")
            let upright = try await engine.output(turned, ["width": "200"])
            #expect(upright.width == 200 && upright.height == 300 && upright.orientation == 1)
            let box = try await engine.output(turned, ["width": "100", "height": "100", "fit": "inside"])
            #expect(box.width == 67 && box.height == 100)

            let alpha = try await engine.source(Self.card(400, 300, bands: 4, format: .png), type: "image/png")
            let flat = try await engine.output(alpha, ["width": "200", "format": "jpg"])
            #expect(flat.loader.hasPrefix("jpegload") && flat.bands == 3 && !flat.hasAlpha && flat.width == 200)
            let kept = try await engine.output(alpha, ["width": "200", "format": "webp"])
            #expect(kept.loader.hasPrefix("webpload") && kept.hasAlpha)
            let contained = try await engine.output(alpha, ["width": "200", "height": "200", "fit": "contain"])
            #expect(contained.loader.hasPrefix("pngload") && contained.hasAlpha && contained.width == 200 && contained.height == 200)
            // auto without AVIF/WebP: PNG when the source has alpha, JPEG when not.
            #expect(try await engine.output(alpha, ["width": "100", "format": "auto"]).loader.hasPrefix("pngload"))
            let photo = try await engine.source(Self.card(400, 300), type: "image/jpeg")
            #expect(try await engine.output(photo, ["width": "100", "format": "auto"]).loader.hasPrefix("jpegload"))
            #expect(try await engine.output(photo, ["width": "100", "format": "auto"], accept: "image/avif,image/webp").loader.hasPrefix("heifload"))
            #expect(try await engine.output(photo, ["width": "100", "format": "tiff"]).loader.hasPrefix("tiffload"))

            for (format, loader) in [(ImageFormat.webp, "webpload"), (.avif, "heifload")] {
                let source = try await engine.source(Self.card(640, 480, format: format), type: format.mediaType)
                let out = try await engine.output(source, ["width": "320"])
                #expect(out.width == 320 && out.height == 240 && out.loader.hasPrefix(loader), "\(format)")
            }
        }
    }

    @Test(arguments: StorageKind.allCases)
    func refusesBombsAndBrokenImagesAndKeepsWorking(kind: StorageKind) async throws {
        try await Self.with(kind) { engine in
            // A 30000×30000 PNG: 900 MP in the header, refused before any decode.
            let bomb = try await engine.source(try PNGHeader.make(width: 30000, height: 30000), type: "image/png")
            let refused = try await #require(throws: AssetsError.self) { try await engine.derivative(bomb, ["width": "100"]) }
            #expect(refused.status == 400 && refused.message.contains("30000×30000"))

            let full = Self.card(800, 600)
            let truncated = try await engine.source(Array(full.prefix(full.count / 2)), type: "image/jpeg")
            let broken = try await #require(throws: AssetsError.self) { try await engine.derivative(truncated, ["width": "100"]) }
            #expect(broken.status == 400 && broken.code == "ILLEGAL_ASSET_TRANSFORMATION")
            let garbage = try await engine.source(Array("definitely not a jpeg".utf8), type: "image/jpeg")
            await #expect(throws: AssetsError.self) { try await engine.derivative(garbage, ["width": "100"]) }
            let outside = try await engine.source(Self.card(200, 200), type: "image/jpeg")
            let area = try await #require(throws: AssetsError.self) {
                try await engine.derivative(outside, ["transforms": #"[["extract",{"left":150,"top":0,"width":100,"height":100}]]"#])
            }
            #expect(area.status == 400)

            // Non-images are not transformed: the caller serves the original.
            let text = try await engine.source(Array("hello".utf8), type: "text/plain")
            let options = try #require(try TransformRequest.parse(["width": "10"], settings: AssetSettings(), limits: engine.transformer.configuration))
            #expect(try await engine.transformer.derivative(text, options: options, accept: nil) == nil)

            // …and the engine still works.
            #expect(try await engine.output(outside, ["width": "50"]).width == 50)
        }
    }

    @Test(arguments: StorageKind.allCases)
    func concurrentIdenticalRequestsShareOneTransformAndDerivativesAreReused(kind: StorageKind) async throws {
        try await Self.with(kind) { engine in
            let source = try await engine.source(Self.card(2000, 1500), type: "image/jpeg")
            let results = try await withThrowingTaskGroup(of: Derivative.self) { group in
                for _ in 0..<20 { group.addTask { try await engine.derivative(source, ["width": "333", "format": "webp"]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(engine.transformer.transformCount == 1)
            #expect(results.filter { $0.origin == .transformed }.count == 1)
            let outputs = try await results.asyncMap { try await engine.bytes($0) }
            #expect(Set(outputs).count == 1)

            // Stored: the next request reads storage and runs no libvips pipeline.
            let again = try await engine.derivative(source, ["format": "webp", "width": "333"])
            #expect(again.origin == .stored && again.bytes == nil && engine.transformer.transformCount == 1)
            #expect(try await engine.bytes(again) == outputs.first)
            #expect(again.record.key == "\(source.fileID)__\(again.record.hash).webp")

            _ = try await engine.derivative(source, ["width": "100"])
            #expect(engine.transformer.transformCount == 2)
            #expect(try await engine.driver.stat(again.record.key) != nil)
            try await engine.transformer.removeDerivatives(fileID: source.fileID) { _ in engine.driver }
            #expect(try await engine.driver.stat(again.record.key) == nil)
            #expect(try await engine.driver.stat(source.key) != nil, "the original stays")
            let rows = try await engine.database.query("SELECT COUNT(*) AS n FROM depot_derivatives WHERE file = ?", [.text(source.fileID)])
            #expect(rows.first?["n"].int == 0)
            #expect(try await engine.derivative(source, ["width": "333", "format": "webp"]).origin == .transformed)
            // Nothing about the file is kept once no transform of it runs (a soak deletes thousands of files).
            #expect(engine.transformer.filesTracked == 0)
        }
    }

    @Test func fullQueueAndDeadlineAnswer503() async throws {
        try await Self.with(.local, configure: { $0.maxConcurrent = 1; $0.maxQueue = 0; $0.timeout = 1 }) { engine in
            // The only slot is held by a job that waits for the test's signal, so the refusal doesn't race a clock
            // (a slow transform as the holder could end before the second request arrived on a loaded machine).
            let release = DispatchSemaphore(value: 0)
            let holder = Task { try await engine.transformer.executor.run(timeout: 60) { _ in release.wait() } }
            let admitted = Date()
            while engine.transformer.load.current == 0, Date().timeIntervalSince(admitted) < 10 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(engine.transformer.load.current == 1)
            let small = try await engine.source(Self.card(200, 150), type: "image/jpeg")
            let busy = try await #require(throws: AssetsError.self) { try await engine.derivative(small, ["width": "10"]) }
            #expect(busy.status == 503 && busy.code == "SERVICE_UNAVAILABLE" && busy.retryAfter != nil)
            release.signal()
            try await holder.value

            // A slow transform (median 25 on 12 MP, ~3.5 s alone) is stopped at its 1 s deadline.
            let big = try await engine.source(Self.card(4000, 3000), type: "image/jpeg")
            let started = Date()
            let timedOut = try await #require(throws: AssetsError.self) { try await engine.derivative(big, ["transforms": #"[["median",25]]"#]) }
            #expect(timedOut == .timedOut)
            #expect(Date().timeIntervalSince(started) < 10, "the deadline stops libvips instead of letting it finish")
            // The caller is answered at the deadline; the only slot is free once the stopped thread has ended.
            while engine.transformer.load.current > 0, Date().timeIntervalSince(started) < 20 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(try await engine.output(small, ["width": "10"]).width == 10)
        }
    }

    /// A request admitted to the queue is answered however long it waited: the deadline counts from its start.
    /// (Under 64 connections the queued transforms used to run out their deadline waiting and answer 503.)
    @Test func queuedJobsAreAnsweredAfterTheirWait() async throws {
        try await Self.with(.local, configure: { $0.maxConcurrent = 1; $0.maxQueue = 4; $0.timeout = 1 }) { engine in
            let executor = engine.transformer.executor
            let started = Date()
            // Each job takes 0.6 s of its 1 s; the fourth starts 1.8 s after the first was admitted.
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<4 { group.addTask { try await executor.run(timeout: 1) { _ in usleep(600_000); return n } } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.sorted() == [0, 1, 2, 3])
            #expect(Date().timeIntervalSince(started) >= 2.4, "the jobs ran one after the other")
        }
    }

    /// A transform stopped at its deadline gives its memory back: libvips 8.14's WebP saver kept every image of a
    /// failed save alive (the decoder, its buffers), and a burst of transforms that time out grew the server.
    @Test(arguments: [ImageFormat.webp, .jpeg])
    func aTransformStoppedAtItsDeadlineReleasesItsPipeline(format: ImageFormat) async throws {
        try await Self.with(.local, configure: { $0.timeout = 1 }) { engine in
            // A median 25 on 12 MP (~3.5 s alone) runs inside the encode's evaluation, where the deadline stops it.
            let big = try await engine.source(Self.card(4000, 3000), type: "image/jpeg")
            let path = try #require(engine.driver as? LocalDriver).path(for: big.key)
            let timedOut = try await #require(throws: AssetsError.self) {
                try await engine.derivative(big, ["transforms": #"[["median",25]]"#, "format": format.rawValue])
            }
            #expect(timedOut == .timedOut)
            // The caller is answered at the deadline; the transform's thread ends a moment later.
            let answered = Date()
            while engine.transformer.load.current > 0, Date().timeIntervalSince(answered) < 20 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(engine.transformer.load.current == 0)
            #expect(Self.vips.loaders(reading: path) == 0, "libvips still holds the \(format) pipeline that read the source")
        }
    }
}

/// The smallest valid PNG header (signature + IHDR) for a given size: enough for libvips to read the dimensions.
enum PNGHeader {
    static func make(width: Int, height: Int) throws -> [UInt8] {
        var ihdr: [UInt8] = Array("IHDR".utf8)
        for v in [UInt32(width), UInt32(height)] { ihdr += withUnsafeBytes(of: v.bigEndian, Array.init) }
        ihdr += [8, 2, 0, 0, 0]   // 8-bit RGB
        var chunk = withUnsafeBytes(of: UInt32(13).bigEndian, Array.init) + ihdr
        chunk += withUnsafeBytes(of: crc32(ihdr).bigEndian, Array.init)
        // An IDAT with a few zero bytes: the decoder would run out long before 900 MP.
        let idat: [UInt8] = Array("IDAT".utf8) + [0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        chunk += withUnsafeBytes(of: UInt32(idat.count - 4).bigEndian, Array.init) + idat + withUnsafeBytes(of: crc32(idat).bigEndian, Array.init)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
