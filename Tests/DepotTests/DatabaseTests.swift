@testable import Database
import Foundation
import Testing

@Suite struct DatabaseTests {
    @Test(arguments: Dialect.allCases)
    func valuesRoundTrip(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, db in
            let blobType = dialect == .postgres ? "bytea" : "blob"
            try await db.execute("CREATE TABLE t (i bigint, d double precision, s text, b \(blobType), f boolean, n text)")
            let text = "héllo \"wörld\" ' ? $1 — 🎉"
            try await db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
                                 [.integer(Int64.max), .double(3.25), .text(text), .blob([0, 1, 255, 128]), .boolean(true), .null])
            let row = try #require(try await db.query("SELECT * FROM t WHERE s = ?", [.text(text)]).first)
            #expect(row["i"] == .integer(Int64.max))
            #expect(row["d"].double == 3.25)
            #expect(row["s"] == .text(text))
            #expect(row["b"] == .blob([0, 1, 255, 128]))
            #expect(row["f"].bool == true)
            #expect(row["n"].isNull)
        }
    }

    @Test(arguments: Dialect.allCases)
    func transactionsRollBackOnError(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, db in
            try await db.execute("CREATE TABLE t (id integer PRIMARY KEY)")
            await #expect(throws: DatabaseError.self) {
                try await db.transaction { c in
                    try c.execute("INSERT INTO t VALUES (1)")
                    try c.execute("INSERT INTO t VALUES (1)")
                }
            }
            #expect(try await db.query("SELECT COUNT(*) AS n FROM t").first?["n"].int == 0)
        }
    }

    @Test(arguments: Dialect.allCases)
    func constraintViolationsAreRecognisedByCode(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, db in
            try await db.execute("CREATE TABLE parent (id integer PRIMARY KEY)")
            try await db.execute("CREATE TABLE child (id integer PRIMARY KEY, email varchar(5) UNIQUE NOT NULL, parent integer REFERENCES parent (id))")
            try await db.execute("INSERT INTO child (id, email) VALUES (1, 'a')")
            func kind(_ sql: String) async -> ConstraintViolation? {
                do { try await db.execute(sql); return nil } catch DatabaseError.constraint(let v) { return v } catch { return nil }
            }
            let unique = await kind("INSERT INTO child (id, email) VALUES (2, 'a')")
            #expect(unique?.kind == .unique)
            #expect(unique?.column == "email")
            #expect(unique?.table == "child")
            #expect(await kind("INSERT INTO child (id) VALUES (3)")?.kind == .notNull)
            #expect(await kind("INSERT INTO child (id, email, parent) VALUES (4, 'b', 99)")?.kind == .foreignKey)
            if dialect == .postgres {   // SQLite does not enforce varchar lengths
                #expect(await kind("INSERT INTO child (id, email) VALUES (5, 'toolong')")?.kind == .valueTooLong)
            }
        }
    }

    @Test(arguments: Dialect.allCases)
    func poolServesConcurrentReadersAndSerialisesWriters(dialect: Dialect) async throws {
        try await TestDatabase.with(dialect) { test, db in
            try await db.execute("CREATE TABLE counter (id integer PRIMARY KEY, n integer NOT NULL)")
            try await db.execute("INSERT INTO counter VALUES (1, 0)")
            // 50 read-modify-write transactions at once: none may be lost.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await db.transaction { c in
                            if c.dialect == .postgres { try c.execute("SELECT n FROM counter WHERE id = 1 FOR UPDATE") }
                            let n = try c.query("SELECT n FROM counter WHERE id = 1").first?["n"].int ?? -1
                            try c.execute("UPDATE counter SET n = ? WHERE id = 1", [.integer(Int64(n + 1))])
                        }
                    }
                    group.addTask { _ = try await db.query("SELECT n FROM counter") }
                }
                try await group.waitForAll()
            }
            #expect(try await db.query("SELECT n FROM counter").first?["n"].int == 50)
        }
    }

    @Test func sqliteReadersRefuseWrites() async throws {
        try await TestDatabase.with(.sqlite) { test, db in
            try await db.execute("CREATE TABLE t (x integer)")
            await #expect(throws: DatabaseError.self) { try await db.read { try $0.execute("INSERT INTO t VALUES (1)") } }
        }
    }

    @Test func unreachablePostgresIsUnavailableNotACrash() async {
        await #expect {
            _ = try await openDatabase(.postgres(connectionString: "host=127.0.0.1 port=1 dbname=x connect_timeout=2", poolMax: 1))
        } throws: { error in
            if case DatabaseError.unavailable = error { return true }
            return false
        }
    }
}

@Suite struct PostgresReconnectTests {
    @Test func poolRecoversWhenTheServerEndsItsSessions() async throws {
        try await TestDatabase.with(.postgres) { test, db in
            _ = try await db.query("SELECT 1")   // the pool now holds an idle session
            // The server ends every session of this database, as on a restart (57P01 admin_shutdown).
            let killer = try await test.open()
            _ = try await killer.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            await killer.close()
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await db.query("SELECT 2 AS n").first?["n"].int == 2)
            #expect(try await db.transaction { try $0.query("SELECT 3 AS n").first?["n"].int } == 3)
        }
    }
}

@Suite struct SQLTextTests {
    @Test func placeholdersBecomeNumberedOutsideQuotes() {
        #expect(PlaceholderRewriter.postgres("SELECT ? , '?' , \"a?\" , ?") == "SELECT $1 , '?' , \"a?\" , $2")
        #expect(PlaceholderRewriter.postgres("x = 'it''s ?' AND y = ?") == "x = 'it''s ?' AND y = $1")
    }

    @Test func postgresTimestampsReadLikeSQLiteOnes() {
        #expect(PostgresConnection.normaliseTimestamp("2026-11-22 15:37:12.123456+00") == "2026-11-22T15:37:12.123Z")
        #expect(PostgresConnection.normaliseTimestamp("2026-11-22 15:37:12+00") == "2026-11-22T15:37:12.000Z")
        #expect(PostgresConnection.normaliseTimestamp("2026-11-22 15:37:12.5+00") == "2026-11-22T15:37:12.500Z")
        #expect(ISO8601.date(from: "2026-11-22T15:37:12.123Z") != nil)
    }
}
