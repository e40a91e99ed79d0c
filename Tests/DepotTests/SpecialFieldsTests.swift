import CMS
import Foundation
import Testing

/// Directus's who-and-when specials are the server's to fill: on create `user-created` and `date-created`, on update
/// `user-updated` and `date-updated`, whatever the payload says (a client can't backdate an item or sign it with
/// another user's id).
@Suite struct SpecialFieldsTests {
    @Test(arguments: Dialect.allCases)
    func whoAndWhenAreTheServers(dialect: Dialect) async throws {
        guard let (depot, test) = try await HTTPTests.server(dialect) else { return }
        defer { Task { await depot.stop(); await test.drop() } }
        let token = try await depot.adminToken()
        let me = try #require(try await depot.request("GET", "/users/me?fields=id", token: token).json["data"]?["id"])
        func field(_ name: String, _ type: String, _ special: String) -> JSONValue {
            .object([("field", .string(name)), ("type", .string(type)), ("meta", .object([("special", .array([.string(special)]))]))])
        }
        try await depot.expectOK("POST", "/collections", .object([("collection", "notes"), ("fields", .array([
            .object([("field", "title"), ("type", "string")]),
            field("user_created", "uuid", "user-created"), field("date_created", "timestamp", "date-created"),
            field("user_updated", "uuid", "user-updated"), field("date_updated", "timestamp", "date-updated"),
        ]))]), token: token)
        let someoneElse = "00000000-0000-4000-8000-000000000001", longAgo = "2001-01-01T00:00:00.000Z"
        let started = Date().addingTimeInterval(-60)
        func recent(_ value: JSONValue?) -> Bool {
            value?.stringValue.flatMap(ISO8601Check.date).map { $0 > started } == true
        }

        let created = try await depot.request("POST", "/items/notes", json: .object([
            ("title", "Mine"), ("user_created", .string(someoneElse)), ("date_created", .string(longAgo)),
        ]), token: token)
        #expect(created.status == 200, "\(created.text)")
        let item = try #require(created.json["data"])
        #expect(item["user_created"] == me)
        #expect(recent(item["date_created"]), "\(created.text)")
        #expect(item["user_updated"] == .null && item["date_updated"] == .null)

        guard case .int(let key)? = item["id"] else { Issue.record("no key: \(created.text)"); return }
        let updated = try await depot.request("PATCH", "/items/notes/\(key)", json: .object([
            ("title", "Still mine"), ("user_updated", .string(someoneElse)), ("date_updated", .string(longAgo)),
        ]), token: token)
        #expect(updated.status == 200, "\(updated.text)")
        #expect(updated.json["data"]?["user_updated"] == me)
        #expect(recent(updated.json["data"]?["date_updated"]), "\(updated.text)")
        #expect(updated.json["data"]?["date_created"] == item["date_created"])
    }
}

/// ISO 8601 parsing for the assertions (the server's own parser is not what is under test).
enum ISO8601Check {
    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
