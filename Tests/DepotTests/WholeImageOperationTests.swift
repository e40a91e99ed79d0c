@testable import Assets
import CMS
import Foundation
import Testing

/// Every operation `transforms` allows, once on a JPEG, a PNG and a WebP source: those that read the whole image
/// (`normalise` measures before it stretches; a vertical `flip` starts at the last row) work on sources that are
/// otherwise read top to bottom — full size and resized — and `/assets` answers them.
@Suite(.serialized) struct WholeImageOperationTests {
    /// Each allowed operation (and the folded `resize`/`toFormat`), with the size it leaves a 300×700 source at
    /// (0: not checked, the content decides).
    static let operations: [(String, (Int, Int))] = [
        (#"[["rotate",90]]"#, (700, 300)), (#"[["rotate",45]]"#, (0, 0)), (#"[["flip"]]"#, (300, 700)), (#"[["flop"]]"#, (300, 700)),
        (#"[["blur"]]"#, (300, 700)), (#"[["blur",2]]"#, (300, 700)), (#"[["sharpen"]]"#, (300, 700)),
        (#"[["greyscale"]]"#, (300, 700)), (#"[["negate"]]"#, (300, 700)), (##"[["tint","#ff0000"]]"##, (300, 700)),
        (#"[["gamma"]]"#, (300, 700)), (#"[["gamma",2.2,3]]"#, (300, 700)), (#"[["normalise"]]"#, (300, 700)),
        (#"[["normalize"]]"#, (300, 700)), (#"[["median",3]]"#, (300, 700)), (#"[["trim"]]"#, (0, 0)),
        (#"[["extract",{"left":10,"top":20,"width":150,"height":400}]]"#, (150, 400)),
        (##"[["flatten",{"background":"#ffffff"}]]"##, (300, 700)), (#"[["removeAlpha"]]"#, (300, 700)),
        (#"[["resize",{"width":60}]]"#, (60, 140)), (#"[["toFormat","png"]]"#, (300, 700)),
        (#"[["normalise"],["flip"],["blur",1],["flop"]]"#, (300, 700)),
    ]

    @Test(arguments: [ImageFormat.jpeg, .png, .webp])
    func everyOperationRunsOnEachSourceFormat(format: ImageFormat) async throws {
        // What is checked is that each operation works, not how fast: a loaded machine gets a generous deadline.
        try await TransformEngineTests.with(.local, configure: { $0.timeout = 120 }) { engine in
            // Taller than a top-to-bottom read's window of rows; alpha where the format has it, so that flatten and
            // removeAlpha have work to do. Small, since 132 transforms run.
            let bytes = try TransformEngineTests.vips.testCard(width: 300, height: 700, bands: format == .jpeg ? 3 : 4, format: format)
            let source = try await engine.source(bytes, type: format.mediaType)
            for (transforms, size) in Self.operations {
                for query in [["transforms": transforms], ["transforms": transforms, "width": "100"]] {
                    do {
                        let out = try await engine.output(source, query)
                        if query["width"] == nil, size.0 > 0 {
                            #expect(out.width == size.0 && out.height == size.1, "\(format) \(transforms): \(out.width)×\(out.height)")
                        } else if query["width"] != nil, !transforms.contains("resize") {
                            #expect(out.width == 100, "\(format) \(transforms) width=100: \(out.width)×\(out.height)")
                        }
                    } catch {
                        Issue.record("\(format) \(query): \(error)")
                    }
                }
            }
        }
    }

    @Test func normaliseOnAnUploadedJPEGIsServed() async throws {
        guard let server = try await FilesHTTPTests.server() else { return }
        defer { Task { await server.stop() } }
        let photo = try Data(contentsOf: URL(fileURLWithPath: Repository.fixture("thumb-20k.jpg")))
        let tall = Data(try TransformEngineTests.vips.testCard(width: 300, height: 700, format: .jpeg))
        for (name, data, width, height) in [("thumb.jpg", photo, 400, 225), ("tall.jpg", tall, 300, 700)] {
            let up = try await FilesHTTPTests().upload(server, filename: name, data: data)
            let id = try #require(up.json["data"]?["id"]?.stringValue)
            for name in ["normalise", "normalize"] {
                let reply = try await server.depot.request("GET", "/assets/\(id)?transforms=\(HardeningTests.encoded("[[\"\(name)\"]]"))",
                                                           token: server.token)
                #expect(reply.status == 200, "\(name): \(reply.text)")
                let out = try TransformEngineTests.vips.describe(Array(reply.body))
                #expect(out.width == width && out.height == height)
            }
        }
    }

    @Test func holdingTheResizedImageIsCountedInTheMemoryEstimate() {
        let plain = MemoryEstimate.bytes(width: 6000, height: 4000, bands: 3, bandFormat: 0, random: false,
                                         output: (width: 6000, height: 4000), format: .jpeg, alpha: false)
        let held = MemoryEstimate.bytes(width: 6000, height: 4000, bands: 3, bandFormat: 0, random: false, copied: true,
                                        output: (width: 6000, height: 4000), format: .jpeg, alpha: false)
        #expect(held - plain == 6000 * 4000 * 4)
    }
}
