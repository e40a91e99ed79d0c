import Foundation
import Storage

/// What an asset request is answered with: the original or a derivative, described and ready to send.
public struct AssetRepresentation: Sendable {
    /// Where the bytes come from.
    public enum Content: Sendable {
        /// An open local file: it leaves by `sendfile`, and `object` describes exactly these bytes.
        case file(OpenedFile)
        /// Bytes this request made (or waited for).
        case bytes([UInt8])
        /// A stream from remote storage, whole or one range; nil when the object has gone.
        case stream(@Sendable (ClosedRange<Int64>?) async throws -> ByteStream?)
    }

    public let object: StoredObject
    public let type: String
    public let content: Content
    /// A derivative chosen by `format=auto` from `Accept`.
    public let varyAccept: Bool
    /// How a derivative was obtained (`Server-Timing`); nil for the original.
    public let derivative: (origin: Derivative.Origin, duration: Double)?
    public let file: AssetFile
}
