/// Where a pipeline reads its source: a local file libvips opens itself, or bytes fetched from remote storage.
enum ImageInput: Sendable {
    case file(String)
    case memory([UInt8])
}

/// An encoded derivative.
public struct EncodedImage: Sendable {
    public let bytes: [UInt8]
    public let format: ImageFormat
    public let width: Int
    public let height: Int
}
