import Database
import Foundation
import Storage

/// `depot_pending_uploads`: an upload is recorded before its bytes are written and the record is deleted in the
/// transaction that inserts its `directus_files` row. A crash at any point leaves either the row (committed:
/// the upload was acknowledged or could have been) or the record naming an object that has no row — never an
/// object nobody knows about. The record is a lease: the upload commits its row only if its record is still
/// there, so a reconciler that took the record over (and removes the object) can never race a late commit into
/// a row without bytes.
struct PendingUploads: Sendable {
    let database: any Database
    let writer: WriterIdentity

    struct Entry: Sendable {
        let id: String
        let location: String
        let key: String
        let writer: String
        let created: Date
    }

    /// Records an upload about to write `key`; returns the record's id. A given `id` makes a second record of
    /// it fail (a unique violation) while the first lasts.
    func begin(location: String, key: String, id: String = RandomToken.uuid()) async throws -> String {
        try await database.execute("INSERT INTO depot_pending_uploads (id, storage, key, writer, created_on) VALUES (?, ?, ?, ?, ?)",
                                   [.text(id), .text(location), .text(key), .text(writer.tag), .timestamp(Date())], writing: "depot_pending_uploads")
        return id
    }

    /// Ends the lease inside the transaction that commits the row; throws when the record is gone (taken
    /// over by a reconciler, whose removal of the object must win), which rolls the row back.
    static func finish(_ id: String, writer: WriterIdentity, on connection: any DatabaseConnection) throws {
        let ended = try connection.execute("DELETE FROM depot_pending_uploads WHERE id = ? AND writer = ?", [.text(id), .text(writer.tag)], writing: "depot_pending_uploads")
        guard ended == 1 else { throw CMSError.serviceUnavailable("storage", "the upload's pending record was reclaimed") }
    }

    /// Drops the record of an upload whose object was removed (or never written).
    func abandon(_ id: String) async throws {
        try await database.execute("DELETE FROM depot_pending_uploads WHERE id = ?", [.text(id)], writing: "depot_pending_uploads")
    }

    func all() async throws -> [Entry] {
        try await database.query("SELECT id, storage, key, writer, created_on FROM depot_pending_uploads ORDER BY created_on").compactMap { row in
            guard let id = row["id"].string, let location = row["storage"].string, let key = row["key"].string,
                  let writer = row["writer"].string else { return nil }
            return Entry(id: id, location: location, key: key, writer: writer,
                         created: row["created_on"].string.flatMap(ISO8601.date) ?? Date(timeIntervalSince1970: 0))
        }
    }

    /// Takes an entry over from its (dead) writer: afterwards that writer can no longer commit its row. False
    /// when the entry is gone or was taken by someone else meanwhile.
    func takeOver(_ entry: Entry) async throws -> Bool {
        try await database.execute("UPDATE depot_pending_uploads SET writer = ? WHERE id = ? AND writer = ?",
                                   [.text(writer.tag), .text(entry.id), .text(entry.writer)], writing: "depot_pending_uploads") == 1
    }
}
