import Assets
import CMS
import Foundation
import Testing

/// `/assets/:id?…` end to end: transform headers, settings modes through `PATCH /settings`, derivatives removed
/// on replace and delete, busy answers — on the local folder and on S3.
@Suite struct AssetTransformHTTPTests {
    let files = FilesHTTPTests()

    func fileID(_ reply: DepotProcess.Reply) throws -> String { try #require(reply.json["data"]?["id"]?.stringValue) }

    @Test(arguments: ["local", "s3"])
    func transformsAreServedStoredAndRemovedWithTheirFile(location: String) async throws {
        guard let server = try await FilesHTTPTests.server(withS3: location == "s3") else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot, token = server.token
        let id = try fileID(try await files.upload(server, [("storage", location)]))

        let first = try await depot.request("GET", "/assets/\(id)?width=200&format=webp", token: token)
        #expect(first.status == 200 && first.header("content-type") == "image/webp")
        #expect(first.header("server-timing")?.hasPrefix("transform;dur=") == true)
        let described = try TransformEngineTests.vips.describe(Array(first.body))
        #expect(described.width == 200 && described.height == 113)
        let etag = try #require(first.header("etag"))

        let second = try await depot.request("GET", "/assets/\(id)?format=webp&width=200", token: token)
        #expect(second.body == first.body && second.header("etag") == etag)
        #expect(second.header("server-timing") == "derivative;desc=\"stored\"")
        let conditional = try await depot.request("GET", "/assets/\(id)?width=200&format=webp", headers: ["If-None-Match": etag], token: token)
        #expect(conditional.status == 304)
        let part = try await depot.request("GET", "/assets/\(id)?width=200&format=webp", headers: ["Range": "bytes=0-9"], token: token)
        #expect(part.status == 206 && part.body == first.body.prefix(10))

        let auto = try await depot.request("GET", "/assets/\(id)?width=100&format=auto", headers: ["Accept": "image/avif,image/webp,*/*"], token: token)
        #expect(auto.header("content-type") == "image/avif" && auto.header("vary")?.contains("Accept") == true)
        #expect(try await depot.request("GET", "/assets/\(id)?width=9000", token: token).errorCode == "ILLEGAL_ASSET_TRANSFORMATION")
        #expect(try await depot.request("GET", "/assets/\(id)?key=system-small-cover&width=5", token: token).errorCode == "INVALID_QUERY")
        #expect(try await depot.request("GET", "/assets/\(id)?key=system-small-cover", token: token).status == 200)

        let derivatives = { try await server.storedKeys().filter { $0.contains("__") } }
        #expect(try await derivatives().count == 3)
        // Replacing the bytes drops every derivative; the next request makes new ones from the new bytes.
        let (body, headers) = FilesHTTPTests.multipart([], files: [("new.png", "image/png", Data(try TransformEngineTests.vips.testCard(width: 300, height: 300, format: .png)))])
        #expect(try await depot.request("PATCH", "/files/\(id)", body: body, headers: headers, token: token).status == 200)
        #expect(try await derivatives().isEmpty)
        let remade = try await depot.request("GET", "/assets/\(id)?width=200&format=webp", token: token)
        #expect(remade.header("server-timing")?.hasPrefix("transform;") == true)
        #expect(try TransformEngineTests.vips.describe(Array(remade.body)).height == 200)
        #expect(try await derivatives().count == 1)

        #expect(try await depot.request("DELETE", "/files/\(id)", token: token).status == 204)
        #expect(try await server.storedKeys().filter { $0.hasPrefix(id) || $0.contains("/\(id)") }.isEmpty)

        // A non-image with transform parameters: the original, untouched.
        let text = try fileID(try await files.upload(server, [("storage", location)], filename: "notes.txt", type: "text/plain", data: Data("hello".utf8)))
        let plain = try await depot.request("GET", "/assets/\(text)?width=100", token: token)
        #expect(plain.status == 200 && plain.body == Data("hello".utf8))
    }

    @Test func settingsDecideWhichTransformsAreAllowed() async throws {
        guard let server = try await FilesHTTPTests.server() else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot, token = server.token
        let id = try fileID(try await files.upload(server))
        let presets: JSONValue = .array([.object([("key", "card"), ("fit", "cover"), ("width", .int(120)), ("height", .int(80)), ("format", "png")])])
        let patched = try await depot.request("PATCH", "/settings", json: .object([("storage_asset_presets", presets)]), token: token)
        guard case .array(let stored)? = patched.json["data"]?["storage_asset_presets"] else { Issue.record("\(patched.text)"); return }
        #expect(patched.status == 200 && stored.first?["key"] == "card" && stored.first?["width"] == .int(120))
        #expect(try await depot.request("GET", "/settings", token: token).json["data"]?["storage_asset_transform"] == "all")
        let bad = try await depot.request("PATCH", "/settings", json: .object([("storage_asset_presets", .array([.object([("key", "x"), ("width", .int(-3))])]))]), token: token)
        #expect(bad.errorCode == "INVALID_PAYLOAD")
        #expect(try await depot.request("PATCH", "/settings", json: .object([("storage_asset_transform", "some")]), token: token).errorCode == "INVALID_PAYLOAD")

        let card = try await depot.request("GET", "/assets/\(id)?key=card", token: token)
        #expect(card.header("content-type") == "image/png")
        let size = try TransformEngineTests.vips.describe(Array(card.body))
        #expect(size.width == 120 && size.height == 80)
        #expect(try await depot.request("GET", "/assets/\(id)?width=50", token: token).status == 200)

        _ = try await depot.request("PATCH", "/settings", json: .object([("storage_asset_transform", "presets")]), token: token)
        #expect(try await depot.request("GET", "/assets/\(id)?key=card", token: token).status == 200)
        let adHoc = try await depot.request("GET", "/assets/\(id)?width=51", token: token)
        #expect(adHoc.status == 400 && adHoc.errorCode == "ILLEGAL_ASSET_TRANSFORMATION")

        _ = try await depot.request("PATCH", "/settings", json: .object([("storage_asset_transform", "none")]), token: token)
        #expect(try await depot.request("GET", "/assets/\(id)?key=card", token: token).errorCode == "ILLEGAL_ASSET_TRANSFORMATION")
        #expect(try await depot.request("GET", "/assets/\(id)?key=system-medium-contain", token: token).status == 200)
        #expect(try await depot.request("GET", "/assets/\(id)", token: token).status == 200)
    }

    @Test func aFullQueueAnswers503WithRetryAfter() async throws {
        guard let server = try await FilesHTTPTests.server(["ASSETS_TRANSFORM_MAX_CONCURRENT": "1", "ASSETS_TRANSFORM_MAX_QUEUE": "0",
                                                             "ASSETS_TRANSFORM_TIMEOUT": "20s"]) else { return }
        defer { Task { await server.stop() } }
        let depot = server.depot, token = server.token
        // 64 MP through a median of 25 takes longer than the 20 s deadline (about 25 s of CPU on an idle machine): the
        // slot stays busy until the deadline,
        // which leaves the busy request below a wide window even when a loaded machine answers health slowly.
        let big = Data(try TransformEngineTests.vips.testCard(width: 8000, height: 8000))
        let id = try fileID(try await files.upload(server, data: big))
        let slow = Task { try await depot.request("GET", #"/assets/\#(id)?transforms=%5B%5B%22median%22%2C25%5D%5D"#, token: token) }
        // Wait (at most 20 s) until the slow transform holds the only slot: health reports it.
        var saturated = false
        for _ in 0..<400 where !saturated {
            let health = try await depot.request("GET", "/server/health", token: token)
            if case .array(let entries)? = health.json["checks"]?["assets:transforms"] { saturated = entries.first?["status"] == "warn" }
            if !saturated { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(saturated)
        let busy = try await depot.request("GET", "/assets/\(id)?width=10", token: token)
        #expect(busy.status == 503 && busy.errorCode == "SERVICE_UNAVAILABLE" && busy.header("retry-after") != nil, "\(busy.status) \(busy.text)")
        let timedOut = try await slow.value
        #expect(timedOut.status == 503 && timedOut.errorCode == "SERVICE_UNAVAILABLE")
        #expect(try await depot.request("GET", "/assets/\(id)?width=10", token: token).status == 200)
    }
}
