import Foundation
import NIOCore
import NIOPosix
import Storage
import Testing

@Suite struct LocalDriverTests {
    static func driver() throws -> (LocalDriver, String) {
        let dir = try TempDirectory.make()
        return (try LocalDriver(root: dir + "/root", threads: NIOThreadPool.singleton), dir)
    }

    static func body(_ bytes: [UInt8]) -> ByteStream { TestStorage.stream(ByteBuffer(bytes: bytes)) }

    @Test func writesReportTheirChecksumAndDeletesAreIdempotent() async throws {
        let (driver, dir) = try Self.driver()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stored = try await driver.write("a", body: Self.body(Array("abc".utf8)))
        #expect(stored.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")   // SHA-256("abc")
        try await driver.delete("a")
        try await driver.delete("a")
        #expect(try await driver.stat("a") == nil)
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
}
