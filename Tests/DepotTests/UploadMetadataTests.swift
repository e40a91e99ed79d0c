import Assets
import CMS
import Foundation
import Testing

/// `POST /files` (and a multipart `PATCH /files/:id`) record what an image's header says, as Directus does: the
/// size it is shown at for every format libvips reads, the Exif, ICC, IPTC and XMP metadata that
/// `FILE_METADATA_ALLOW_LIST` keeps, and the IPTC caption and keywords as `description` and `tags` unless the
/// upload sets them — on SQLite and PostgreSQL, from a local folder and from S3.
@Suite struct UploadMetadataTests {
    static let photo = try! Data(contentsOf: URL(fileURLWithPath: Repository.fixture("metadata/photo-exif-iptc-xmp-icc.jpg")))
    static let vips = TransformEngineTests.vips

    func upload(_ server: FilesHTTPTests.Server, _ fields: [(String, String)] = [], filename: String, type: String,
                data: Data) async throws -> JSONValue {
        let (body, headers) = FilesHTTPTests.multipart(fields, files: [(filename, type, data)])
        let reply = try await server.depot.request("POST", "/files", body: body, headers: headers, token: server.token)
        #expect(reply.status == 200, "\(filename): \(reply.text)")
        // The row as stored, read back.
        let id = try #require(reply.json["data"]?["id"]?.stringValue)
        return try #require(try await server.depot.request("GET", "/files/\(id)", token: server.token).json["data"])
    }

    @Test(arguments: Dialect.allCases)
    func exifIPTCAndTheAllowListFillTheRow(dialect: Dialect) async throws {
        guard let server = try await FilesHTTPTests.server(dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let file = try await upload(server, filename: "red-panda.jpg", type: "image/jpeg", data: Self.photo)
        #expect(file["width"] == .int(400) && file["height"] == .int(225))
        #expect(file["title"] == "Red Panda", "the title still comes from the file name")
        #expect(file["description"] == "A red panda sits in fresh snow.")
        #expect(file["tags"] == .array(["red panda", "zoo", "Ailurus fulgens"]))
        // Directus's default allow list: make and model, f-number, exposure time, focal length, ISO.
        let metadata = try #require(file["metadata"])
        #expect(metadata.objectKeys?.sorted() == ["exif", "ifd0", "sha256"])
        #expect(metadata["ifd0"] == .object([("Make", "Canon"), ("Model", "Canon EOS 5D Mark IV")]))
        #expect(metadata["exif"]?.objectKeys?.sorted() == ["ExposureTime", "FNumber", "FocalLength", "ISOSpeedRatings"])
        #expect(metadata["exif"]?["ExposureTime"] == .double(0.004) && metadata["exif"]?["FNumber"] == .double(2.8))
        #expect(metadata["exif"]?["FocalLength"] == .int(50) && metadata["exif"]?["ISOSpeedRatings"] == .int(400))
        #expect(metadata["sha256"]?.stringValue?.count == 64)

        // What the upload sets wins over what the file says.
        let given = try await upload(server, [("description", "Mine"), ("tags", #"["kept"]"#), ("metadata", #"{"source":"scan"}"#)],
                                     filename: "red-panda.jpg", type: "image/jpeg", data: Self.photo)
        #expect(given["description"] == "Mine" && given["tags"] == .array(["kept"]))
        #expect(given["metadata"] == .object([("source", "scan")]))
    }

    @Test(arguments: Dialect.allCases)
    func starKeepsEverySection(dialect: Dialect) async throws {
        guard let server = try await FilesHTTPTests.server(["FILE_METADATA_ALLOW_LIST": "*"], dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let all = try #require(try await upload(server, filename: "p.jpg", type: "image/jpeg", data: Self.photo)["metadata"])
        #expect(all.objectKeys?.sorted() == ["exif", "gps", "icc", "ifd0", "ifd1", "interop", "iptc", "sha256", "xmp"])
        #expect(all["ifd0"]?["DateTime"] == "2024-05-20T17:02:00.000Z" && all["ifd0"]?["Software"] == "Depot fixture 1.0")
        #expect(all["exif"]?["ExifVersion"]?["type"] == "Buffer")
        #expect(all["exif"]?["ExifVersion"]?["data"] == .array([.int(48), .int(50), .int(51), .int(50)]))
        #expect(all["gps"]?["GPSLatitude"] == .array([.int(52), .int(31), .double(12.34)]))
        #expect(all["icc"]?["description"] == "Depot test RGB" && all["icc"]?["deviceClass"] == "Monitor")
        #expect(all["iptc"]?["copyright"] == "© 2024 Jane Doe" && all["iptc"]?["headline"] == "Red panda in the snow")
        #expect(all["xmp"]?["subject"] == .array(["red panda", "zoo"]))
    }

    @Test(arguments: Dialect.allCases)
    func theAllowListNamesSectionsOrValues(dialect: Dialect) async throws {
        guard let listed = try await FilesHTTPTests.server(["FILE_METADATA_ALLOW_LIST": "iptc.keywords,icc.description,gps"], dialect: dialect) else { return }
        defer { Task { await listed.stop() } }
        let some = try #require(try await upload(listed, filename: "p.jpg", type: "image/jpeg", data: Self.photo)["metadata"])
        #expect(some.objectKeys?.sorted() == ["gps", "icc", "iptc", "sha256"])
        #expect(some["iptc"] == .object([("keywords", .array(["red panda", "zoo", "Ailurus fulgens"]))]))
        #expect(some["icc"] == .object([("description", "Depot test RGB")]))
        #expect(some["gps"]?.objectKeys?.count == 6)
    }

    /// A WebP over 512 KiB (libwebp's demuxer reads nothing from a part of one) whose Exif (orientation 6) follows
    /// the pixels: the test card's image chunks in an extended container, then Exif, then a large XMP packet.
    static func largeWebP(width: Int, height: Int) throws -> Data {
        let card = try vips.testCard(width: width, height: height, format: .webp)
        var image: [UInt8] = []
        var at = 12
        while at + 8 <= card.count {
            let kind = String(decoding: card[at..<at + 4], as: UTF8.self)
            let size = card[at + 4..<at + 8].reversed().reduce(0) { $0 << 8 | Int($1) }
            let end = min(card.count, at + 8 + size + size % 2)
            if ["VP8 ", "VP8L", "ALPH"].contains(kind) { image += card[at..<end] }
            at = end
        }
        func chunk(_ kind: String, _ body: [UInt8]) -> [UInt8] {
            let size = UInt32(body.count)
            return Array(kind.utf8) + withUnsafeBytes(of: size.littleEndian, Array.init) + body + (body.count % 2 == 1 ? [0] : [])
        }
        func u24(_ n: Int) -> [UInt8] { [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF)] }
        let exif = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Repository.fixture("metadata/exif-little-endian.bin")))).dropFirst(6)
        let xmp = Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><!-- \(String(repeating: "padding ", count: 80_000)) --></x:xmpmeta>".utf8)
        let body = chunk("VP8X", [0x0C, 0, 0, 0] + u24(width - 1) + u24(height - 1)) + image
            + chunk("EXIF", Array(exif)) + chunk("XMP ", xmp)
        let riff = Array("RIFF".utf8) + withUnsafeBytes(of: UInt32(body.count + 4).littleEndian, Array.init) + Array("WEBP".utf8) + body
        return Data(riff)
    }

    @Test(arguments: ["local", "s3"])
    func everyImageFormatRecordsTheSizeItIsShownAt(location: String) async throws {
        guard let server = try await FilesHTTPTests.server(withS3: location == "s3") else { return }
        defer { Task { await server.stop() } }
        let webp = try Self.largeWebP(width: 1200, height: 800)
        #expect(webp.count > 600_000)
        let gif = Data([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 3, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x2C, 0, 0, 0, 0, 3, 0, 2, 0,
                        0, 2, 2, 0x44, 0x01, 0, 0x3B])
        let svg = Data(#"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="120" height="80"/></svg>"#.utf8)
        let cases: [(String, String, Data, Int, Int)] = [
            ("photo.jpg", "image/jpeg", Self.photo, 400, 225),
            ("gradient.png", "image/png", try Data(contentsOf: URL(fileURLWithPath: Repository.fixture("metadata/gradient-exif-icc4.png"))), 96, 64),
            ("large.webp", "image/webp", webp, 800, 1200),
            ("dot.gif", "image/gif", gif, 3, 2),
            ("card.tif", "image/tiff", Data(try Self.vips.testCard(width: 300, height: 200, format: .tiff)), 300, 200),
            ("card.avif", "image/avif", Data(try Self.vips.testCard(width: 320, height: 240, format: .avif)), 320, 240),
            ("box.svg", "image/svg+xml", svg, 120, 80),
            // EXIF orientation 6: stored 600×400, shown 400×600.
            ("turned.jpg", "image/jpeg", Data(try Self.vips.testCard(width: 600, height: 400, orientation: 6)), 400, 600),
        ]
        for (name, type, data, width, height) in cases {
            let file = try await upload(server, [("storage", location)], filename: name, type: type, data: data)
            #expect(file["width"] == .int(Int64(width)) && file["height"] == .int(Int64(height)),
                    "\(name): \(String(describing: file["width"]))×\(String(describing: file["height"]))")
        }
        // The WebP's Exif follows its pixels, past the first 512 KiB: read all the same.
        let large = try await upload(server, [("storage", location)], filename: "large.webp", type: "image/webp", data: webp)
        #expect(large["metadata"]?["ifd0"]?["Make"] == "Canon" && large["metadata"]?["exif"]?["FNumber"] == .double(2.8))
        // Not an image: no size, no metadata but the bytes' digest.
        let text = try await upload(server, [("storage", location)], filename: "notes.txt", type: "text/plain", data: Data("hello".utf8))
        #expect(text["width"] == .null && text["metadata"]?.objectKeys == ["sha256"])
    }

    @Test(arguments: Dialect.allCases)
    func replacedBytesBringTheirOwnSizeAndMetadata(dialect: Dialect) async throws {
        guard let server = try await FilesHTTPTests.server(dialect: dialect) else { return }
        defer { Task { await server.stop() } }
        let first = try await upload(server, [("description", "Kept")], filename: "card.png", type: "image/png",
                                     data: Data(try Self.vips.testCard(width: 50, height: 40, format: .png)))
        #expect(first["metadata"]?["ifd0"] == nil)
        let id = try #require(first["id"]?.stringValue)
        let (body, headers) = FilesHTTPTests.multipart([], files: [("red-panda.jpg", "image/jpeg", Self.photo)])
        #expect(try await server.depot.request("PATCH", "/files/\(id)", body: body, headers: headers, token: server.token).status == 200)
        let replaced = try #require(try await server.depot.request("GET", "/files/\(id)", token: server.token).json["data"])
        #expect(replaced["width"] == .int(400) && replaced["height"] == .int(225))
        #expect(replaced["metadata"]?["ifd0"]?["Make"] == "Canon")
        #expect(replaced["metadata"]?["sha256"] != first["metadata"]?["sha256"])
        #expect(replaced["description"] == "Kept", "the description is the file's, not the bytes'")
    }
}
