import Database
import Foundation
import Storage

/// One discrepancy between `directus_files` and a storage location.
public struct StorageFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An object no `directus_files` row names (nor a pending upload).
        case orphanObject = "orphan-object"
        /// A derivative (`<file id>__<hash>.<ext>`) whose file row is gone.
        case orphanDerivative = "orphan-derivative"
        /// A row whose object is not in its location (listed only: rows are never removed here).
        case missingObject = "missing-object"
        /// An upload recorded as pending whose writer is gone: its object (if any) has no row.
        case abandonedUpload = "abandoned-upload"
        /// A temporary file of a write that will never complete (local locations).
        case temporaryFile = "temporary-file"
    }

    public let kind: Kind
    public let location: String
    public let key: String
    /// The file row concerned (missing objects, derivatives).
    public var file: String?
    /// True once the object (or record) was removed.
    public var removed = false

    public init(kind: Kind, location: String, key: String, file: String? = nil, removed: Bool = false) {
        self.kind = kind
        self.location = location
        self.key = key
        self.file = file
        self.removed = removed
    }

    public var description: String {
        "\(kind.rawValue) \(location) \(key)" + (file.map { " file=\($0)" } ?? "") + (removed ? " removed" : "")
    }
}

/// Compares `directus_files` (and the pending uploads) with what the storage locations hold: reconciles what a
/// crash left at start-up, and lists (optionally removes) orphans for `depot storage check`. Objects are only
/// removed when no row and no live upload names them; rows are never removed.
public struct FileStorageAudit: Sendable {
    let database: any Database
    let storage: StorageLocations
    let pending: PendingUploads
    /// A write untouched this long is abandoned whoever its writer is (one on another host cannot be asked).
    let staleAfter: TimeInterval

    public init(database: any Database, storage: StorageLocations, staleAfter: TimeInterval, writer: WriterIdentity = .current) {
        self.database = database
        self.storage = storage
        self.pending = PendingUploads(database: database, writer: writer)
        self.staleAfter = staleAfter
    }

    var writer: WriterIdentity { pending.writer }

    // MARK: Start-up

    /// Pending uploads whose writer is gone (or older than `staleAfter`; see `WriterIdentity.hasAbandoned`): each is taken over (so that its writer, were it alive after all, cannot commit a row),
    /// its object removed unless a row names it, and the record dropped. With `remove` false, only listed.
    public func reconcilePendingUploads(locations: [String]? = nil, remove: Bool = true) async throws -> [StorageFinding] {
        var findings: [StorageFinding] = []
        for entry in try await pending.all() where isAbandoned(entry) && (locations?.contains(entry.location) ?? true) {
            var finding = StorageFinding(kind: .abandonedUpload, location: entry.location, key: entry.key)
            if remove {
                guard let driver = try? storage.driver(entry.location), try await pending.takeOver(entry) else { continue }
                let named = try await database.query("SELECT id FROM directus_files WHERE storage = ? AND filename_disk = ?",
                                                     [.text(entry.location), .text(entry.key)]).first?["id"].string
                if let named {
                    finding.file = named
                } else {
                    try await driver.delete(entry.key)
                }
                try await driver.discardIncompleteWrites(entry.key)
                try await pending.abandon(entry.id)
                finding.removed = true
            }
            findings.append(finding)
        }
        return findings
    }

    /// Temporary files of local locations left by writes that will never complete (see
    /// `LocalDriver.abandonedTemporaryFiles`); removed when `remove`.
    public func temporaryFiles(locations: [String]? = nil, remove: Bool = true) async throws -> [StorageFinding] {
        var findings: [StorageFinding] = []
        for name in locations ?? storage.names {
            guard let local = try storage.driver(name) as? LocalDriver else { continue }
            for file in try await local.abandonedTemporaryFiles(staleAfter: staleAfter, identity: writer) {
                if remove { try await local.delete(file.path) }
                findings.append(StorageFinding(kind: .temporaryFile, location: name, key: file.path, removed: remove))
            }
        }
        return findings
    }

    private func isAbandoned(_ entry: PendingUploads.Entry) -> Bool {
        writer.hasAbandoned(entry.writer, lastTouched: entry.created, staleAfter: staleAfter)
    }

    // MARK: Check

    /// Everything that does not match in `locations` (all by default): objects without a row (derivatives
    /// without their file row), rows without their object, abandoned uploads and temporary files. With
    /// `remove`, orphan objects, abandoned uploads and temporary files are removed; rows are only listed.
    public func check(locations: [String]? = nil, remove: Bool) async throws -> [StorageFinding] {
        let names = locations ?? storage.names
        for name in names { _ = try storage.driver(name) }
        var findings = try await reconcilePendingUploads(locations: names, remove: remove)
        findings += try await temporaryFiles(locations: names, remove: remove)
        for name in names { findings += try await check(name, remove: remove) }
        return findings
    }

    private func check(_ location: String, remove: Bool) async throws -> [StorageFinding] {
        let driver = try storage.driver(location)
        // Listed first, then the pending records, then the rows: an object listed here was written before its
        // upload's row commits, which also ends its record — so it is seen in one or the other, never in neither.
        let keys = try await driver.allKeys()
        let pendingKeys = Set(try await pending.all().filter { $0.location == location }.map(\.key))
        let rows = try await database.query("SELECT id, filename_disk FROM directus_files WHERE storage = ?", [.text(location)])
        let fileIDs = Set(try await database.query("SELECT id FROM directus_files").compactMap { $0["id"].string?.lowercased() })
        var named: [String: String] = [:]
        for row in rows { if let key = row["filename_disk"].string, let id = row["id"].string { named[key] = id } }

        var findings: [StorageFinding] = []
        let listed = Set(keys)
        for key in keys where named[key] == nil && !pendingKeys.contains(key) && !key.hasPrefix(".depot-health-") {
            var finding: StorageFinding
            if let file = Self.derivativeFile(key) {
                if fileIDs.contains(file) { continue }
                finding = StorageFinding(kind: .orphanDerivative, location: location, key: key, file: file)
            } else {
                finding = StorageFinding(kind: .orphanObject, location: location, key: key)
            }
            if remove {
                try await driver.delete(key)
                finding.removed = true
            }
            findings.append(finding)
        }
        for (key, id) in named.sorted(by: { $0.key < $1.key }) where !listed.contains(key) {
            // Uploaded after the listing, or really missing: only a stat tells.
            if try await driver.stat(key) == nil {
                findings.append(StorageFinding(kind: .missingObject, location: location, key: key, file: id))
            }
        }
        return findings
    }

    /// The file id of a derivative key `<file id>__<hash>.<ext>`; nil for other keys.
    static func derivativeFile(_ key: String) -> String? {
        let name = key.split(separator: "/").last.map(String.init) ?? key
        guard name.count > 38, let separator = name.range(of: "__"),
              UUID(uuidString: String(name[..<separator.lowerBound])) != nil else { return nil }
        return name[..<separator.lowerBound].lowercased()
    }
}
