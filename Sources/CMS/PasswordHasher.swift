import CArgon2
import Foundation
import NIOPosix

/// argon2 cost parameters (`HASH_*`); the defaults are node-argon2's, which Directus uses.
public struct HashParameters: Sendable, Equatable {
    public var memoryCost: UInt32 = 65536
    public var timeCost: UInt32 = 3
    public var parallelism: UInt32 = 4
    public var hashLength: UInt32 = 32
    public init() {}
}

/// argon2id hashing in PHC string format, on its own threads: hashing is CPU-heavy and blocking.
public final class PasswordHasher: Sendable {
    private let parameters: HashParameters
    private let threads: NIOThreadPool

    public init(parameters: HashParameters = HashParameters(), threads: Int = 2) {
        self.parameters = parameters
        self.threads = NIOThreadPool(numberOfThreads: max(1, threads))
        self.threads.start()
    }

    public func shutdown() async { try? await threads.shutdownGracefully() }

    /// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`
    public func hash(_ password: String) async throws -> String {
        let p = parameters
        return try await threads.runIfActive { try Self.hashNow(password, p) }
    }

    /// Verifies in constant time against any argon2 variant named in the stored hash; false for malformed hashes.
    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        try await threads.runIfActive { Self.verifyNow(password, encoded) }
    }

    static func hashNow(_ password: String, _ p: HashParameters) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = rng.next() }
        let length = argon2_encodedlen(p.timeCost, p.memoryCost, p.parallelism, UInt32(salt.count), p.hashLength, Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let pwd = Array(password.utf8)
        let rc = argon2id_hash_encoded(p.timeCost, p.memoryCost, p.parallelism, pwd, pwd.count, salt, salt.count,
                                       Int(p.hashLength), &encoded, length)
        guard rc == ARGON2_OK.rawValue else {
            throw CMSError(code: "INTERNAL_SERVER_ERROR", status: 500, message: "An unexpected error occurred.")
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func verifyNow(_ password: String, _ encoded: String) -> Bool {
        let type: argon2_type
        if encoded.hasPrefix("$argon2id$") { type = Argon2_id }
        else if encoded.hasPrefix("$argon2i$") { type = Argon2_i }
        else if encoded.hasPrefix("$argon2d$") { type = Argon2_d }
        else { return false }
        let pwd = Array(password.utf8)
        return argon2_verify(encoded, pwd, pwd.count, type) == ARGON2_OK.rawValue
    }

    /// Whether `value` looks like a PHC argon2 hash (for `/utils/hash/verify` input checks).
    public static func isHash(_ value: String) -> Bool { value.hasPrefix("$argon2") }
}
