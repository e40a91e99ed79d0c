/// `STORAGE_<LOC>_*` options of an S3 location (Directus's names).
public struct S3Configuration: Sendable, Equatable {
    public var key: String
    public var secret: String
    public var bucket: String
    public var region = "us-east-1"
    /// `https://s3.<region>.amazonaws.com` when not set.
    public var endpoint: String?
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    public var forcePathStyle = false
    /// Prefix of every key in the bucket.
    public var root = ""
    /// Canned ACL sent with uploads (`x-amz-acl`).
    public var acl: String?
    /// `x-amz-server-side-encryption` sent with uploads (`AES256`, `aws:kms`).
    public var serverSideEncryption: String?
    public var connectTimeoutMilliseconds = 5_000
    /// A request that moves no byte for this long fails (and is retried when it may be).
    public var socketTimeoutMilliseconds = 60_000
    /// Objects of this size or more go up as multipart uploads with parts of at least this size (≥ 5 MiB).
    public var partSize = 8 * 1024 * 1024
    /// Attempts per request, the first included, on 5xx, SlowDown and network errors.
    public var maxAttempts = 4

    public init(key: String, secret: String, bucket: String) {
        self.key = key
        self.secret = secret
        self.bucket = bucket
    }

    public static let minimumPartSize = 5 * 1024 * 1024
    public static let maximumParts = 10_000
}
