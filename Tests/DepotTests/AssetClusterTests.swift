import CMS
import Foundation
import Storage
import Testing

/// What `/assets` keeps in memory (file lookups with the caller's read decision, derivative records, the parsed
/// settings) on two instances sharing PostgreSQL, Redis and S3: every change made through one is seen by the other.
@Suite struct AssetClusterTests {
    @Test func bothInstancesSeeReplacedFilesPermissionsSettingsAndDeletions() async throws {
        guard let pair = try await ClusterTests.pair() else { return }
        let a = pair.a, b = pair.b
        defer { Task { await pair.stop() } }
        let token = try await a.adminToken()

        /// Polls `b` until `check` holds (5 s at most): the bus delivers asynchronously.
        func eventually(_ path: String, token: String? = nil, _ check: (DepotProcess.Reply) -> Bool) async throws -> Bool {
            for _ in 0..<100 {
                if check(try await b.request("GET", path, token: token)) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }

        let first = FilesHTTPTests.photo
        let second = Data(try TransformEngineTests.vips.testCard(width: 300, height: 100))
        let (body, headers) = FilesHTTPTests.multipart([], files: [("photo.jpg", "image/jpeg", first)])
        let id = try #require(try await a.request("POST", "/files", body: body, headers: headers, token: token).json["data"]?["id"]?.stringValue)

        // Both instances remember that the public may not read the file…
        #expect(try await a.request("GET", "/assets/\(id)").status == 403)
        #expect(try await b.request("GET", "/assets/\(id)").status == 403)
        // …until a rule granted through A.
        let policy = try await a.request("GET", "/policies?filter[icon][_eq]=public&fields=id", token: token).json["data"]?.arrayItems?.first?["id"]?.stringValue ?? ""
        let granted = try await a.request("POST", "/permissions", json: .object([
            ("policy", .string(policy)), ("collection", "directus_files"), ("action", "read"), ("fields", .array(["*"])),
        ]), token: token)
        let permission = try #require(granted.json["data"]?["id"], "\(granted.text)")
        #expect(try await eventually("/assets/\(id)") { $0.status == 200 && $0.body == first }, "B serves the file once A granted it")

        // B remembers the derivative's record; the file replaced through A gives new bytes and a new derivative on B.
        let small = try await b.request("GET", "/assets/\(id)?width=40")
        #expect(small.status == 200)
        #expect(try await b.request("GET", "/assets/\(id)?width=40").header("Server-Timing") == "derivative;desc=\"stored\"")
        let (replacement, replacementHeaders) = FilesHTTPTests.multipart([], files: [("photo.jpg", "image/jpeg", second)])
        #expect(try await a.request("PATCH", "/files/\(id)", body: replacement, headers: replacementHeaders, token: token).status == 200)
        #expect(try await eventually("/assets/\(id)") { $0.status == 200 && $0.body == second }, "B serves the replaced bytes")
        let remade = try await b.request("GET", "/assets/\(id)?width=40")
        #expect(remade.status == 200 && remade.body != small.body, "B's derivative is made from the new bytes")
        let size = try TransformEngineTests.vips.describe(Array(remade.body))
        let source = try TransformEngineTests.vips.describe(Array(second))
        #expect(size.width == 40 && size.height == Int((40.0 * Double(source.height) / Double(source.width)).rounded()))

        // Settings changed through A: B refuses ad-hoc transforms.
        #expect(try await a.request("PATCH", "/settings", json: .object([("storage_asset_transform", "presets")]), token: token).status == 200)
        #expect(try await eventually("/assets/\(id)?width=40") { $0.errorCode == "ILLEGAL_ASSET_TRANSFORMATION" }, "B applies A's settings")

        // The rule revoked through A: B refuses the public again.
        #expect(try await a.request("DELETE", "/permissions/\(permission.stringValue ?? permission.serializedText)", token: token).status == 204)
        #expect(try await eventually("/assets/\(id)") { $0.status == 403 }, "B forgets the revoked rule")

        // Deleted through A: gone on B, for the administrator too.
        #expect(try await b.request("GET", "/assets/\(id)", token: token).status == 200)
        #expect(try await a.request("DELETE", "/files/\(id)", token: token).status == 204)
        #expect(try await eventually("/assets/\(id)", token: token) { $0.status == 403 }, "B forgets the deleted file")
    }
}

extension JSONValue {
    /// A number or string as URL text.
    var serializedText: String { String(decoding: serialized(), as: UTF8.self) }
}
