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
        guard let type = variant(of: encoded) else { return false }
        let pwd = Array(password.utf8)
        return argon2_verify(encoded, pwd, pwd.count, type) == ARGON2_OK.rawValue
    }

    /// `/utils/hash/verify`: whether `password` matches a PHC argon2 hash made with any variant and parameters,
    /// which are read from the hash itself. A hash that does not parse, or whose costs exceed `verifyBounds`
    /// (a caller-chosen memory cost is a caller-chosen allocation), is INVALID_PAYLOAD rather than `false`.
    public func check(_ password: String, against encoded: String) async throws -> Bool {
        guard Self.variant(of: encoded) != nil, let costs = Self.costs(of: encoded), costs.memory <= Self.verifyBounds.memory,
              costs.time <= Self.verifyBounds.time, costs.lanes <= Self.verifyBounds.lanes else {
            throw CMSError.invalidPayload("Invalid \"hash\" or \"string\"")
        }
        let rc = try await threads.runIfActive { () -> Int32 in
            guard let type = Self.variant(of: encoded) else { return ARGON2_DECODING_FAIL.rawValue }
            let pwd = Array(password.utf8)
            return argon2_verify(encoded, pwd, pwd.count, type)
        }
        if rc == ARGON2_OK.rawValue { return true }
        if rc == ARGON2_VERIFY_MISMATCH.rawValue { return false }
        throw CMSError.invalidPayload("Invalid \"hash\" or \"string\"")
    }

    /// The largest costs a hash given to `check` may name: 512 MiB, 32 passes, 16 lanes (Directus's default is
    /// 64 MiB, 3 passes, 4 lanes; OWASP's lightest 19 MiB).
    static let verifyBounds = (memory: 524_288, time: 32, lanes: 16)

    static func variant(of encoded: String) -> argon2_type? {
        if encoded.hasPrefix("$argon2id$") { return Argon2_id }
        if encoded.hasPrefix("$argon2i$") { return Argon2_i }
        if encoded.hasPrefix("$argon2d$") { return Argon2_d }
        return nil
    }

    /// `m`, `t` and `p` of a PHC string (`$argon2id$v=19$m=65536,t=3,p=4$salt$hash`, `v=` optional).
    static func costs(of encoded: String) -> (memory: Int, time: Int, lanes: Int)? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count >= 5 else { return nil }
        let list = parts[2].hasPrefix("v=") ? parts[3] : parts[2]
        var values: [Substring: Int] = [:]
        for pair in list.split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let number = Int(kv[1]), number >= 0 else { return nil }
            values[kv[0]] = number
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return (m, t, p)
    }

    /// Whether `value` looks like a PHC argon2 hash (for `/utils/hash/verify` input checks).
    public static func isHash(_ value: String) -> Bool { value.hasPrefix("$argon2") }
}
