import Foundation
import NIOCore
import Storage
import Testing

/// One suite, every driver: what the rest of Depot relies on from a storage location.
@Suite struct StorageConformanceTests {
    @Test(arguments: StorageKind.allCases)
    func roundTripsObjectsOfEverySize(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            for size in [0, 1, 5 * 1024 * 1024 + 1, 50 * 1024 * 1024] {
                let bytes = TestStorage.bytes(size, seed: UInt64(size) + 7)
                let expected = TestStorage.sha256(bytes)
                let stored = try await driver.write("sizes/\(size).bin", body: TestStorage.stream(bytes, chunk: 300_000))
                #expect(stored.size == Int64(size), "size \(size)")
                #expect(stored.sha256 == expected, "checksum computed while writing, size \(size)")
                let readBack = try #require(try await TestStorage.digest(driver.read("sizes/\(size).bin", range: nil)))
                #expect(readBack.0 == expected && readBack.1 == size, "read back, size \(size)")
                let stat = try #require(try await driver.stat("sizes/\(size).bin"))
                #expect(stat.size == Int64(size))
            }
        }
    }

    /// A key from a caller (a renamed `filename_disk`) is held to the same rule on every driver.
    @Test(arguments: StorageKind.allCases)
    func keysCannotLeaveTheLocation(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            _ = try await driver.write("inside.bin", body: TestStorage.stream(TestStorage.bytes(10)))
            for key in ["../escape", "/etc/passwd", "a/../../b", "a\0b", "", "a//b", "./a", "a/./b", "a\\b", "..", ".", "a/", "a/.."] {
                await #expect(throws: StorageError.invalidKey(key), "\(key)") { _ = try await driver.write(key, body: TestStorage.stream(TestStorage.bytes(1))) }
                await #expect(throws: StorageError.invalidKey(key), "\(key)") { _ = try await driver.copy("inside.bin", to: key) }
                await #expect(throws: StorageError.invalidKey(key), "\(key)") { _ = try await driver.stat(key) }
                if let local = driver.localFiles {
                    #expect(throws: StorageError.invalidKey(key), "\(key)") { _ = try local.open(key) }
                }
            }
            #expect(StorageKey.isValid("...") && StorageKey.isValid("a/.b") && StorageKey.isValid("a/b..c/d"))
            #expect(try await driver.allKeys() == ["inside.bin"])
        }
    }

    @Test(arguments: StorageKind.allCases)
    func readsRanges(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            let bytes = TestStorage.bytes(1_000_000)
            _ = try await driver.write("ranged", body: TestStorage.stream(bytes))
            for range: ClosedRange<Int64> in [0...0, 0...99, 500_000...500_999, 999_999...999_999, 0...999_999] {
                let part = try #require(try await TestStorage.collect(driver.read("ranged", range: range)))
                #expect(part == bytes.getSlice(at: Int(range.lowerBound), length: range.count), "range \(range)")
            }
        }
    }

    @Test(arguments: StorageKind.allCases)
    func missingObjectsAreNotFoundNotErrors(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            #expect(try await driver.read("missing.bin", range: nil) == nil)
            #expect(try await driver.read("missing.bin", range: 0...9) == nil)
            #expect(try await driver.stat("missing.bin") == nil)
            try await driver.delete("missing.bin")
            #expect(try await driver.copy("missing.bin", to: "other.bin") == nil)
            #expect(try await driver.move("missing.bin", to: "other.bin") == nil)
            #expect(try await driver.list(prefix: "missing", continuation: nil, limit: 10).keys.isEmpty)
        }
    }

    @Test(arguments: StorageKind.allCases)
    func overwriteReplacesTheBytesAndTheValidator(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            let first = try await driver.write("same", body: TestStorage.stream(TestStorage.bytes(10_000, seed: 1)))
            let second = try await driver.write("same", body: TestStorage.stream(TestStorage.bytes(20_000, seed: 2)))
            #expect(first.etag != second.etag)
            #expect(try await TestStorage.collect(driver.read("same", range: nil)) == TestStorage.bytes(20_000, seed: 2))
            #expect(try await driver.stat("same")?.size == 20_000)
        }
    }

    @Test(arguments: StorageKind.allCases)
    func listsPageByPageAndDeletesByPrefix(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            let keys = (0..<1_050).map { String(format: "many/item-%04d", $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batch in stride(from: 0, to: keys.count, by: 70) {
                    group.addTask {
                        for key in keys[batch..<min(batch + 70, keys.count)] {
                            _ = try await driver.write(key, body: TestStorage.stream(ByteBuffer(string: key)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await driver.write("manyother", body: TestStorage.stream(ByteBuffer(string: "x")))
            _ = try await driver.write("keep/this", body: TestStorage.stream(ByteBuffer(string: "x")))

            var listed: [String] = []
            var continuation: String?
            var pages = 0
            repeat {
                let page = try await driver.list(prefix: "many/", continuation: continuation, limit: 1000)
                listed += page.keys
                continuation = page.continuation
                pages += 1
            } while continuation != nil
            #expect(pages == 2)
            #expect(listed == keys)

            #expect(try await driver.deletePrefix("many/") == 1_050)
            #expect(try await driver.list(prefix: "many/", continuation: nil, limit: 1000).keys.isEmpty)
            #expect(try await driver.list(prefix: "", continuation: nil, limit: 1000).keys == ["keep/this", "manyother"])
        }
    }

    @Test(arguments: StorageKind.allCases)
    func keysWithSpacesAndUnicode(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            let keys = ["folder with spaces/a file.txt", "ünïcödé/日本語 ファイル.jpg", "plus+and&amp=equals?.bin"]
            for key in keys {
                _ = try await driver.write(key, body: TestStorage.stream(ByteBuffer(string: key)))
                #expect(try await TestStorage.collect(driver.read(key, range: nil)) == ByteBuffer(string: key), "\(key)")
                #expect(try await driver.stat(key)?.size == Int64(key.utf8.count))
            }
            #expect(try await driver.list(prefix: "", continuation: nil, limit: 100).keys == keys.sorted())
            #expect(try await driver.list(prefix: "ünïcödé/", continuation: nil, limit: 100).keys == [keys[1]])
        }
    }

    @Test(arguments: StorageKind.allCases)
    func concurrentWritesToOneKeyLeaveOneWholeObject(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            let versions = (1...6).map { TestStorage.bytes(300_000, seed: UInt64($0)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for version in versions {
                    group.addTask { _ = try await driver.write("contended", body: TestStorage.stream(version, chunk: 10_000)) }
                }
                try await group.waitForAll()
            }
            let final = try #require(try await TestStorage.collect(driver.read("contended", range: nil)))
            #expect(versions.contains(final))
            #expect(try await driver.list(prefix: "", continuation: nil, limit: 100).keys == ["contended"])
        }
    }

    @Test(arguments: StorageKind.allCases)
    func copiesAndMoves(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            let bytes = TestStorage.bytes(70_000)
            _ = try await driver.write("a/source", body: TestStorage.stream(bytes))
            #expect(try await driver.copy("a/source", to: "b/copy")?.size == 70_000)
            #expect(try await driver.move("a/source", to: "c/moved")?.size == 70_000)
            #expect(try await driver.stat("a/source") == nil)
            #expect(try await TestStorage.collect(driver.read("b/copy", range: nil)) == bytes)
            #expect(try await TestStorage.collect(driver.read("c/moved", range: nil)) == bytes)
        }
    }

    @Test(arguments: StorageKind.allCases)
    func aFailedWriteLeavesNothingBehind(kind: StorageKind) async throws {
        struct Broken: Error {}
        try await TestStorage.with(kind) { driver in
            // Past one S3 part, so the multipart path has parts to abort.
            let failing = ByteStream { continuation in
                var rest = TestStorage.bytes(6 * 1024 * 1024)
                while rest.readableBytes > 0 { continuation.yield(rest.readSlice(length: min(1 << 20, rest.readableBytes))!) }
                continuation.finish(throwing: Broken())
            }
            do {
                _ = try await driver.write("partial", body: failing)
                Issue.record("the write should have failed")
            } catch is Broken {}
            let stat = try await driver.stat("partial")
            let keys = try await driver.list(prefix: "", continuation: nil, limit: 100).keys
            #expect(stat == nil && keys.isEmpty)
            if let s3 = driver as? S3Driver {
                let uploads = try await s3.incompleteUploads()
                #expect(uploads.isEmpty)
            }
        }
    }

    @Test(arguments: StorageKind.allCases)
    func probeProvesTheLocationWorks(kind: StorageKind) async throws {
        try await TestStorage.with(kind) { driver in
            try await driver.probe()
            #expect(try await driver.list(prefix: "", continuation: nil, limit: 10).keys.isEmpty)
        }
    }
}
