import Yams

/// YAML through libyaml (Yams): a sequence of mappings, keys in the answer's order; strings that would read
/// back as another type (`"true"`, `"12"`) are quoted by Yams's string representation.
enum YAMLExport {
    static func encode(_ items: [JSONValue]) throws -> [UInt8] {
        Array(try Yams.serialize(node: node(.array(items)), allowUnicode: true).utf8)
    }

    private static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: Node("null", Tag(.null))
        case .bool(let flag): Node(flag ? "true" : "false", Tag(.bool))
        case .int(let number): Node(String(number), Tag(.int))
        case .double(let number): Node(String(number), Tag(.float))
        case .string(let text): .scalar(text.represented())
        case .array(let items): .sequence(Node.Sequence(items.map(node)))
        case .object(let dict, let keys): .mapping(Node.Mapping(keys.map { (Node($0), node(dict[$0]!)) }))
        }
    }
}
