/// The `fields` list as a tree: `["*", "author.name", "comments.*"]` → `* · author{name} · comments{*}`.
/// Order is kept; a name listed twice merges its sub-fields.
final class FieldTree {
    private(set) var entries: [(name: String, children: FieldTree?)] = []

    static func parse(_ fields: [String], maxDepth: Int = FilterCompiler.maxDepth) throws(CMSError) -> FieldTree {
        let tree = FieldTree()
        for path in fields {
            let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.allSatisfy({ !$0.isEmpty }) else { throw CMSError.invalidQuery("\"\(path)\" is not a field path") }
            guard parts.count <= maxDepth else { throw CMSError.invalidQuery("\"\(path)\" is nested too deeply") }
            tree.insert(parts[...])
        }
        return tree
    }

    static func of(_ names: [String]) -> FieldTree {
        let tree = FieldTree()
        for name in names { tree.insert([name][...]) }
        return tree
    }

    private func insert(_ path: ArraySlice<String>) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        if let index = entries.firstIndex(where: { $0.name == head }) {
            if !rest.isEmpty {
                let child = entries[index].children ?? FieldTree()
                child.insert(rest)
                entries[index].children = child
            }
        } else {
            var child: FieldTree?
            if !rest.isEmpty { child = FieldTree(); child!.insert(rest) }
            entries.append((head, child))
        }
    }
}
