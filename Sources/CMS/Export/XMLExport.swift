#if canImport(FoundationXML)
import FoundationXML
#else
import Foundation
#endif

/// XML as Directus writes it (js2xmlparser with root `data`): `<data><data>…item…</data>…</data>`; an array
/// repeats its element name, null is an empty element. Escaping is libxml2's (FoundationXML).
enum XMLExport {
    static func encode(_ items: [JSONValue]) -> [UInt8] {
        let root = XMLElement(name: "data")
        for item in items { append(item, named: "data", to: root) }
        let document = XMLDocument(rootElement: root)
        document.version = "1.0"
        document.characterEncoding = "UTF-8"
        return Array(document.xmlString(options: [.nodePrettyPrint]).utf8)
    }

    /// One item as the element the document would hold (`<data>…</data>`), for exports written item by item.
    static func element(_ item: JSONValue) -> String {
        let holder = XMLElement(name: "data")
        append(item, named: "data", to: holder)
        return (holder.children ?? []).map { $0.xmlString(options: [.nodePrettyPrint]) }.joined(separator: "\n")
    }

    private static func append(_ value: JSONValue, named name: String, to parent: XMLElement) {
        switch value {
        case .array(let items):
            for item in items { append(item, named: name, to: parent) }
        case .object(let dict, let keys):
            let element = XMLElement(name: name)
            for key in keys { append(dict[key]!, named: key, to: element) }
            parent.addChild(element)
        case .null:
            parent.addChild(XMLElement(name: name))
        case .string(let text):
            parent.addChild(XMLElement(name: name, stringValue: text))
        case .bool, .int, .double:
            parent.addChild(XMLElement(name: name, stringValue: String(decoding: value.serialized(), as: UTF8.self)))
        }
    }
}
