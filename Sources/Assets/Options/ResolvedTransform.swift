import Crypto
import Storage

/// A transform ready to run: options normalised (defaults made explicit, irrelevant fields cleared), the output
/// format chosen. Its canonical text — independent of parameter order and spelling — hashes to the derivative's name.
public struct ResolvedTransform: Sendable, Hashable {
    public let options: TransformOptions
    public let output: OutputFormat
    /// `format=auto`: the answer depends on `Accept`.
    public let varyAccept: Bool

    public var canonical: String {
        func d(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }
        let o = options
        let format = switch output {
        case .fixed(let f): f.rawValue
        case .byAlpha: "jpeg|png"
        }
        return [
            "w=\(o.width.map(String.init) ?? "")", "h=\(o.height.map(String.init) ?? "")", "fit=\(o.fit.rawValue)",
            "we=\(o.withoutEnlargement ? 1 : 0)", "bg=\(o.background)", "q=\(o.quality ?? 0)", "f=\(format)",
            "fp=\(o.focalPoint.map { "\(d($0.x)),\(d($0.y))" } ?? "")",
            "ops=\(o.operations.map(\.canonical).joined(separator: "|"))",
        ].joined(separator: ";")
    }

    /// 32 hex digits of the SHA-256 of the canonical text.
    public var hash: String {
        Hex.encode(SHA256.hash(data: Array(canonical.utf8)).prefix(16))
    }
}

import Foundation
