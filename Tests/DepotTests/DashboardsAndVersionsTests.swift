import CMS
import Foundation
import Testing

/// `/dashboards`, `/panels` and `/versions`: Directus 11's tables behind the items routes — who created them filled
/// in, a dashboard's panels deleted with it, a version bound to an existing collection.
@Suite struct DashboardsAndVersionsTests {
    @Test(arguments: Dialect.allCases)
    func dashboardsPanelsAndVersionsAreItems(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let token = try await depot.adminToken()
        let me = try await depot.request("GET", "/users/me?fields=id", token: token).json["data"]?["id"]
        let dashboard = try await depot.request("POST", "/dashboards?fields=id,name,icon,user_created",
                                                json: .object([("name", "Sales")]), token: token)
        #expect(dashboard.json["data"]?["icon"] == "dashboard" && dashboard.json["data"]?["user_created"] == me, "\(dashboard.text)")
        let id = try #require(dashboard.json["data"]?["id"]?.stringValue)
        let panel = try await depot.request("POST", "/panels?fields=id,dashboard,show_header", json: .object([
            ("dashboard", .string(id)), ("type", "metric"), ("position_x", .int(1)), ("position_y", .int(1)), ("width", .int(6)), ("height", .int(4)),
        ]), token: token)
        #expect(panel.json["data"]?["dashboard"] == .string(id) && panel.json["data"]?["show_header"] == false, "\(panel.text)")
        let listed = try await depot.request("SEARCH", "/panels", json: .object([("query", .object([("filter", .object([("dashboard", .object([("_eq", .string(id))]))]))]))]), token: token)
        #expect(listed.json["data"]?.arrayItems?.count == 1, "\(listed.text)")
        try await depot.expectOK("POST", "/collections", .object([("collection", "notes"), ("fields", .array([.object([("field", "title"), ("type", "string")])]))]), token: token)
        let version = try await depot.request("POST", "/versions?fields=key,collection,item,user_created", json: .object([
            ("key", "draft"), ("collection", "notes"), ("item", "1"),
        ]), token: token)
        #expect(version.json["data"]?["collection"] == "notes" && version.json["data"]?["user_created"] == me, "\(version.text)")
        #expect((try await depot.request("POST", "/versions", json: .object([("key", "x"), ("collection", "nowhere"), ("item", "1")]), token: token)).status == 400)
        #expect((try await depot.request("DELETE", "/dashboards/\(id)", token: token)).status == 204)
        #expect((try await depot.request("GET", "/panels", token: token)).json["data"] == .array([]))
    }
}
