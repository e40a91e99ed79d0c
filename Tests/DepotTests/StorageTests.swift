import Foundation
import NIOPosix
import Storage
import Testing

@Suite struct LocalDriverTests {
    static func driver() throws -> (LocalDriver, String) {
        let dir = try TempDirectory.make()
        return (try LocalDriver(root: dir + "/root", threads: NIOThreadPool.singleton), dir)
    }

    static func collect(_ stream: ByteStream?) async throws -> [UInt8]? {
        guard let stream else { return nil }
        var out: [UInt8] = []
        for try await chunk in stream { out += chunk }
        return out
    }

    static func body(_ bytes: [UInt8], chunk: Int = 100_000) -> ByteStream {
        ByteStream { c in
            var i = 0
            while i < bytes.count { c.yield(Array(bytes[i..<min(i + chunk, bytes.count)])); i += chunk }
            c.finish()
        }
    }

    @Test func roundTripsRangesStatAndDelete() async throws {
        let (driver, dir) = try Self.driver()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bytes = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let stored = try await driver.write("folder/a file ü.bin", body: Self.body(bytes))
        #expect(stored.size == 1_000_000)
        #expect(try await Self.collect(driver.read("folder/a file ü.bin", range: nil)) == bytes)
        #expect(try await Self.collect(driver.read("folder/a file ü.bin", range: 10...19)) == Array(bytes[10...19]))
        #expect(try await Self.collect(driver.read("folder/a file ü.bin", range: 999_990...999_999)) == Array(bytes[999_990...]))
        let stat = try #require(try await driver.stat("folder/a file ü.bin"))
        #expect(stat.size == 1_000_000 && stat.etag == stored.etag)
        _ = try await driver.write("folder/a file ü.bin", body: Self.body([1, 2, 3]))
        #expect(try await driver.stat("folder/a file ü.bin")?.etag != stored.etag)   // overwrite changes the validator
        #expect(try await driver.delete("folder/a file ü.bin"))
        #expect(try await driver.delete("folder/a file ü.bin") == false)
        #expect(try await driver.read("folder/a file ü.bin", range: nil) == nil)
        #expect(try await driver.stat("missing") == nil)
        try await driver.probe()
    }

    @Test func emptyObjectsRoundTrip() async throws {
        let (driver, dir) = try Self.driver()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await driver.write("empty", body: Self.body([]))
        #expect(try await Self.collect(driver.read("empty", range: nil)) == [])
    }

    @Test(arguments: ["../escape", "/etc/passwd", "a/../../b", "a\0b", "", "a//b", "./a", "a\\b"])
    func keysCannotLeaveTheRoot(key: String) async throws {
        let (driver, dir) = try Self.driver()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect(throws: StorageError.invalidKey(key)) { _ = try await driver.write(key, body: Self.body([1])) }
        await #expect(throws: StorageError.invalidKey(key)) { _ = try await driver.read(key, range: nil) }
    }

    @Test func symlinksCannotLeadOutOfTheRoot() async throws {
        let (driver, dir) = try Self.driver()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/outside", withIntermediateDirectories: true)
        try "secret".write(toFile: dir + "/outside/secret.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: driver.root + "/link", withDestinationPath: dir + "/outside")
        try FileManager.default.createSymbolicLink(atPath: driver.root + "/file-link", withDestinationPath: dir + "/outside/secret.txt")
        await #expect(throws: StorageError.invalidKey("link/secret.txt")) { _ = try await driver.read("link/secret.txt", range: nil) }
        await #expect(throws: StorageError.invalidKey("file-link")) { _ = try await driver.read("file-link", range: nil) }
    }

    @Test func aFailedWriteLeavesNothingBehind() async throws {
        let (driver, dir) = try Self.driver()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        struct Broken: Error {}
        let failing = ByteStream { c in
            c.yield([1, 2, 3])
            c.finish(throwing: Broken())
        }
        await #expect(throws: Broken.self) { _ = try await driver.write("partial", body: failing) }
        #expect(try await driver.stat("partial") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: driver.root).isEmpty)
    }
}
