/// An sRGB colour with alpha (0–255 each), as sharp's colour arguments take it: `#rgb`, `#rrggbb`, `#rrggbbaa`,
/// `rgb(r, g, b)`, `rgba(r, g, b, a)`, a few names, or `{"r": …, "g": …, "b": …, "alpha": 0–1}`.
public struct Colour: Sendable, Hashable, CustomStringConvertible {
    public var r: Double, g: Double, b: Double, alpha: Double

    public static let black = Colour(r: 0, g: 0, b: 0, alpha: 255)
    public static let white = Colour(r: 255, g: 255, b: 255, alpha: 255)

    public var description: String { "rgba(\(Int(r)),\(Int(g)),\(Int(b)),\(Int(alpha)))" }

    static func parse(_ value: Any) -> Colour? {
        if let object = value as? [String: Any] {
            guard let r = JSONArgument.number(object["r"]), let g = JSONArgument.number(object["g"]),
                  let b = JSONArgument.number(object["b"]) else { return nil }
            let alpha = JSONArgument.number(object["alpha"]) ?? 1
            return Colour(r: r, g: g, b: b, alpha: alpha * 255).clamped
        }
        guard let text = value as? String else { return nil }
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch s {
        case "black": return .black
        case "white": return .white
        case "transparent": return Colour(r: 0, g: 0, b: 0, alpha: 0)
        case "red": return Colour(r: 255, g: 0, b: 0, alpha: 255)
        case "green": return Colour(r: 0, g: 128, b: 0, alpha: 255)
        case "blue": return Colour(r: 0, g: 0, b: 255, alpha: 255)
        default: break
        }
        if s.hasPrefix("#") { return hex(String(s.dropFirst())) }
        if s.hasPrefix("rgb"), let open = s.firstIndex(of: "("), s.hasSuffix(")") {
            let numbers = s[s.index(after: open)..<s.index(before: s.endIndex)].split(separator: ",")
                .map { Double($0.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil } }
            guard numbers.count == 3 || numbers.count == 4, numbers.allSatisfy({ $0 != nil }) else { return nil }
            let n = numbers.map { $0! }
            return Colour(r: n[0], g: n[1], b: n[2], alpha: n.count == 4 ? n[3] * 255 : 255).clamped
        }
        return nil
    }

    private static func hex(_ digits: String) -> Colour? {
        let expanded = digits.count == 3 || digits.count == 4 ? String(digits.flatMap { [$0, $0] }) : digits
        guard expanded.count == 6 || expanded.count == 8, let value = UInt64(expanded, radix: 16) else { return nil }
        let v = expanded.count == 6 ? (value << 8) | 0xFF : value
        return Colour(r: Double((v >> 24) & 0xFF), g: Double((v >> 16) & 0xFF), b: Double((v >> 8) & 0xFF), alpha: Double(v & 0xFF))
    }

    private var clamped: Colour {
        func c(_ x: Double) -> Double { min(255, max(0, x.rounded())) }
        return Colour(r: c(r), g: c(g), b: c(b), alpha: c(alpha))
    }

    /// Values for a background of an image with `bands` bands (grey or RGB, with or without alpha).
    func values(bands: Int) -> [Double] {
        switch bands {
        case 1: [r]
        case 2: [r, alpha]
        case 3: [r, g, b]
        default: [r, g, b, alpha]
        }
    }
}

/// Reading sharp-style arguments out of parsed JSON (`JSONSerialization` gives NSNumber, String, arrays, dictionaries).
enum JSONArgument {
    static func number(_ value: Any?) -> Double? {
        switch value {
        case let n as Double: n.isFinite ? n : nil
        case let n as Int: Double(n)
        case let s as String:
            if let n = Int(s) { Double(n) } else { Double(trimmed(s)).flatMap { $0.isFinite ? $0 : nil } }
        default: nil
        }
    }

    /// `s` without the blanks around it: tab and the Unicode space separators, as `CharacterSet.whitespaces` —
    /// without bridging to NSString, which cost a tenth of a stored derivative's answer (`perf`).
    private static func trimmed(_ s: String) -> Substring {
        func blank(_ c: Character) -> Bool { c == "\t" || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator } }
        guard let first = s.firstIndex(where: { !blank($0) }), let last = s.lastIndex(where: { !blank($0) }) else { return "" }
        return s[first...last]
    }

    static func integer(_ value: Any?) -> Int? {
        guard let n = number(value), n == n.rounded(), abs(n) < 1e9 else { return nil }
        return Int(n)
    }

    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let b as Bool: b
        case let s as String: ["true", "1", ""].contains(s.lowercased()) ? true : (["false", "0"].contains(s.lowercased()) ? false : nil)
        case let n as Int: n != 0
        default: nil
        }
    }
}

import Foundation
