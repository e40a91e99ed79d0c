import Crypto
import Database
import Foundation
import Storage

/// Gives a file's object the key a PATCH of `filename_disk` names, within its location. The object is copied
/// under a lease (a pending-upload record that names the new key), the row then names the copy in the transaction
/// that ends the lease, and the old key is deleted last — so a crash at any point leaves the row naming bytes
/// that exist, and at most one object no row names, which start-up or `depot storage check` removes.
struct FileRename: Sendable {
    let driver: any StorageDriver
    let from: String
    let to: String
    /// The pending-upload record holding the new key until the row names it.
    let lease: String
    let pending: PendingUploads

    /// The answer when another file, object or rename holds the key.
    static func taken(_ key: String) -> CMSError {
        CMSError(code: "RECORD_NOT_UNIQUE", status: 400,
                 message: "Value for field \"filename_disk\" in collection \"directus_files\" has to be unique.",
                 extensions: ["collection": "directus_files", "field": "filename_disk"])
    }

    /// Takes the new key (400 when a row, an object or another rename already holds it) and copies the object there.
    static func begin(location: String, driver: any StorageDriver, from: String, to: String, pending: PendingUploads,
                      database: any Database) async throws -> FileRename {
        // One lease per key at a time: its id is the key's, so a second rename to the same key fails to record.
        let lease: String
        do {
            lease = try await pending.begin(location: location, key: to, id: leaseID(location, to))
        } catch DatabaseError.constraint(let violation) where violation.kind == .unique {
            throw taken(to)
        }
        let rename = FileRename(driver: driver, from: from, to: to, lease: lease, pending: pending)
        do {
            // Checked under the lease: a rename that held the key before has committed its row by now.
            let named = try await database.query("SELECT 1 FROM directus_files WHERE storage = ? AND filename_disk = ?", [.text(location), .text(to)])
            let queued = try await database.query("SELECT 1 FROM depot_pending_uploads WHERE storage = ? AND key = ? AND id <> ?",
                                                  [.text(location), .text(to), .text(lease)])
            guard named.isEmpty, queued.isEmpty, try await driver.stat(to) == nil else { throw taken(to) }
        } catch {
            // What holds the key is someone else's: only the lease goes.
            try? await pending.abandon(lease)
            throw Self.mapped(error)
        }
        do {
            guard try await driver.copy(from, to: to) != nil else {
                throw CMSError.serviceUnavailable("storage", "the file's stored object is missing")
            }
        } catch {
            await rename.abandon()
            throw Self.mapped(error)
        }
        return rename
    }

    /// Ends the lease inside the transaction that makes the row name the new key.
    func commit(on connection: any DatabaseConnection) throws {
        try PendingUploads.finish(lease, writer: pending.writer, on: connection)
    }

    /// After the row's commit: the old key names nothing any more. A failure leaves an orphan object for
    /// `depot storage check`, never a wrong row.
    func finish() async {
        try? await driver.delete(from)
    }

    /// The row did not change: the copy goes, then the lease (a copy that can't be removed now stays leased, for
    /// start-up to remove). Even when the request was cancelled.
    func abandon() async {
        let (driver, to, lease, pending) = (driver, to, lease, pending)
        await Task {
            do { try await driver.delete(to) } catch { return }
            try? await pending.abandon(lease)
        }.value
    }

    private static func leaseID(_ location: String, _ key: String) -> String {
        var bytes = Array(SHA256.hash(data: Array("rename\0\(location)\0\(key)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50   // a name-based UUID (version 5 layout)
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])).uuidString.lowercased()
    }

    private static func mapped(_ error: any Error) -> any Error {
        switch error {
        case StorageError.invalidKey: CMSError.invalidPayload("\"filename_disk\" must be a relative key inside the file's storage location")
        case let error as StorageError: CMSError.serviceUnavailable("storage", "\(error)")
        default: error
        }
    }
}
