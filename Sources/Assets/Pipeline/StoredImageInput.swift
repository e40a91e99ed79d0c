import Foundation
import NIOPosix
import Storage

extension ImageInput {
    /// A stored object as libvips can open it: a local file in place; a remote one read into memory, or into a
    /// temporary file (returned second, for removal) when larger than `maxBuffered` bytes.
    /// `object` is the key's stat when the caller has it.
    static func fetch(_ key: String, from driver: any StorageDriver, object: StoredObject? = nil,
                      maxBuffered: Int) async throws -> (ImageInput, temporary: String?) {
        if let local = driver.localFiles { return (.file(try local.path(for: key)), nil) }
        var object = object
        if object == nil { object = try await driver.stat(key) }
        guard let object, let stream = try await driver.read(key, range: nil) else {
            throw AssetsError.unreadable("the original is missing from storage")
        }
        if object.size <= Int64(maxBuffered) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(object.size))
            for try await chunk in stream { bytes.append(contentsOf: chunk.readableBytesView) }
            return (.memory(bytes), nil)
        }
        let path = NSTemporaryDirectory() + "depot-source-\(UUID().uuidString)"
        do {
            // The copy is written through a local driver, off the cooperative pool.
            let scratch = try LocalDriver(root: NSTemporaryDirectory(), threads: NIOThreadPool.singleton)
            _ = try await scratch.write(String(path.dropFirst(NSTemporaryDirectory().count)), body: stream)
        } catch {
            unlink(path)
            throw error
        }
        return (.file(path), path)
    }
}
