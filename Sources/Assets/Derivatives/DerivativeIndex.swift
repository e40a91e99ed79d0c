import Database
import Foundation

/// A stored derivative: where it is and what it holds.
public struct DerivativeRecord: Sendable, Equatable {
    public let file: String
    public let hash: String
    public let storage: String
    public let key: String
    public let type: String
    public let size: Int64
    public let etag: String
    public let width: Int
    public let height: Int
    public let created: Date
}

/// `depot_derivatives`: which derivatives exist, so that serving one is a single indexed read and removing a
/// file's derivatives lists nothing in storage. The records found are kept in memory: a stored derivative is
/// served with no database read. Every removal drops them here; `evict` drops them on the other instances.
struct DerivativeIndex: Sendable {
    let database: any Database
    let memory = RowCache<String, DerivativeRecord>(maxBytes: 4 << 20)

    func find(file: String, hash: String) async throws -> DerivativeRecord? {
        let key = file + "/" + hash
        if let record = memory[key] { return record }
        let generation = memory.generation
        let record = try await database.query("SELECT * FROM depot_derivatives WHERE file = ? AND hash = ?", [.text(file), .text(hash)])
            .first.flatMap(Self.record)
        if let record { memory.store(key, record, cost: 256 + record.key.utf8.count + record.etag.utf8.count, readAt: generation) }
        return record
    }

    /// Forgets what is kept about a file's derivatives (one of them, with `hash`).
    func evict(file: String, hash: String? = nil) {
        memory.removeAll { _, record in record.file == file && (hash == nil || record.hash == hash) }
    }

    func all(file: String) async throws -> [DerivativeRecord] {
        try await database.query("SELECT * FROM depot_derivatives WHERE file = ?", [.text(file)]).compactMap(Self.record)
    }

    func save(_ r: DerivativeRecord) async throws {
        try await database.transaction { connection in
            try connection.execute("DELETE FROM depot_derivatives WHERE file = ? AND hash = ?", [.text(r.file), .text(r.hash)])
            try connection.execute("""
                INSERT INTO depot_derivatives (file, hash, storage, key, type, filesize, etag, width, height, created_on)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(r.file), .text(r.hash), .text(r.storage), .text(r.key), .text(r.type), .integer(r.size),
                      .text(r.etag), .integer(Int64(r.width)), .integer(Int64(r.height)), .timestamp(r.created)])
        }
    }

    func remove(file: String, hash: String? = nil) async throws {
        defer { evict(file: file, hash: hash) }
        if let hash {
            try await database.execute("DELETE FROM depot_derivatives WHERE file = ? AND hash = ?", [.text(file), .text(hash)])
        } else {
            try await database.execute("DELETE FROM depot_derivatives WHERE file = ?", [.text(file)])
        }
    }

    private static func record(_ row: Row) -> DerivativeRecord? {
        guard let file = row["file"].string, let hash = row["hash"].string, let storage = row["storage"].string,
              let key = row["key"].string, let type = row["type"].string, let size = row["filesize"].int else { return nil }
        return DerivativeRecord(file: file, hash: hash, storage: storage, key: key, type: type, size: Int64(size),
                                etag: row["etag"].string ?? "", width: row["width"].int ?? 0, height: row["height"].int ?? 0,
                                created: row["created_on"].string.flatMap(ISO8601.date) ?? Date(timeIntervalSince1970: 0))
    }
}
