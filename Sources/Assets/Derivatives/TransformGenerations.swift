import Synchronization

/// Tells a transform whether its file's derivatives were removed (the file replaced or deleted) while it ran:
/// its result then describes the old content and is not recorded. A file is tracked only while transforms of it
/// run, so the table holds the files being transformed now — not every file ever removed, which grew by one entry
/// per deleted file for the life of the process.
final class TransformGenerations: Sendable {
    private struct Entry {
        var generation = 0
        var running = 0
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// A transform of `file` starts: the generation `isCurrent` compares with. Pair with `end`.
    func start(_ file: String) -> Int {
        entries.withLock { entries in
            entries[file, default: Entry()].running += 1
            return entries[file]!.generation
        }
    }

    /// Whether `file`'s derivatives were left alone since `start` returned `generation`.
    func isCurrent(_ file: String, _ generation: Int) -> Bool {
        entries.withLock { $0[file]?.generation == generation }
    }

    /// `file`'s derivatives were removed: the transforms of it running now are stale.
    func bump(_ file: String) {
        entries.withLock { entries in
            if entries[file] != nil { entries[file]!.generation += 1 }
        }
    }

    /// A transform of `file` ended (recorded, discarded or failed).
    func end(_ file: String) {
        entries.withLock { entries in
            guard var entry = entries[file] else { return }
            entry.running -= 1
            entries[file] = entry.running > 0 ? entry : nil
        }
    }

    /// Files with a transform running.
    var tracked: Int { entries.withLock { $0.count } }
}
