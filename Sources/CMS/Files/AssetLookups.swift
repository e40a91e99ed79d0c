import Database
import Foundation
import Storage

/// Where an asset's original lives, for serving it.
public struct AssetSource: Sendable {
    public let id: String
    public let storage: String
    public let driver: any StorageDriver
    public let key: String
    public let type: String?
    public let filenameDownload: String
    public let focalPoint: (x: Double, y: Double)?
}

/// The answers `FilesService.asset` gave, per file and per set of rules: the file row `/assets` needs and whether
/// the caller may read it. Each remembers the tables its reads named; a committed write to one of them, or to
/// the access tables, drops the answers (here through the change feed, on the other instances through the bus).
public final class AssetLookups: Sendable {
    struct Key: Hashable, Sendable {
        let rules: String
        let id: String
    }

    struct Answer: Sendable {
        /// nil: no such file, or the caller may not read it (both answer FORBIDDEN).
        let source: AssetSource?
        let tables: Set<String>
    }

    let answers: RowCache<Key, Answer>

    init(maxBytes: Int = 8 << 20) {
        answers = RowCache(maxBytes: maxBytes)
    }

    /// Drops the answers a committed write may have changed.
    public func invalidate(tables: Set<String>, access: Bool) {
        if access {
            answers.removeAll()
        } else if !tables.isEmpty {
            answers.removeAll { _, answer in !answer.tables.isDisjoint(with: tables) }
        }
    }

    public func removeAll() { answers.removeAll() }
}

extension FilesService {
    /// The stored original of a file; nil when there is no such file or the caller may not read that
    /// `directus_files` row (Directus refuses both alike, originals and transforms). Answered from memory when the
    /// same rules asked for the same file since the last write that could change the answer.
    public func asset(_ id: String, accountability: Accountability) async throws -> AssetSource? {
        guard id.isUUIDText else { return nil }
        let id = id.lowercased()
        // Answers are shared by callers with the same rules; rules that depend on the time are never kept.
        let rules = accountability.admin || permissions == nil ? "unrestricted" : try await permissions!.fingerprint(for: accountability)
        let key = rules.map { AssetLookups.Key(rules: $0, id: id) }
        if let key, let answer = assetLookups.answers[key] { return answer.source }
        let generation = assetLookups.answers.generation
        let tracker = ReadTracker()
        let source: AssetSource?
        do {
            source = try await ReadTracker.$current.withValue(tracker) { try await lookUp(id, accountability) }
        } catch let error as CMSError where error == .forbidden {
            source = nil
        }
        if let key, tracker.cacheable {
            let cost = 256 + id.utf8.count + (source.map { $0.key.utf8.count + $0.filenameDownload.utf8.count + $0.storage.utf8.count } ?? 0)
            assetLookups.answers.store(key, .init(source: source, tables: tracker.tables), cost: cost, readAt: generation)
        }
        return source
    }

    private func lookUp(_ id: String, _ accountability: Accountability) async throws -> AssetSource? {
        let rows = try await database.read(tagging: ["directus_files"]) { connection in
            try connection.query("SELECT storage, filename_disk, filename_download, type, focal_point_x, focal_point_y FROM directus_files WHERE id = ?", [.text(id)])
        }
        guard let row = rows.first,
              let location = row["storage"].string, let key = row["filename_disk"].string else { return nil }
        try await guardian.checkReach(accountability, "read", keys: [id])
        let focal = row["focal_point_x"].double.flatMap { x in row["focal_point_y"].double.map { (x: x, y: $0) } }
        return AssetSource(id: id, storage: location, driver: try storage.driver(location), key: key, type: row["type"].string,
                           filenameDownload: row["filename_download"].string ?? key, focalPoint: focal)
    }
}
