import CMS
import Foundation
import Testing

@Suite struct PasswordHasherTests {
    @Test func hashesArePHCStringsThatVerify() async throws {
        let hasher = PasswordHasher(parameters: TestServices.fastHash)
        let hash = try await hasher.hash("correct horse")
        #expect(hash.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        #expect(try await hasher.verify("correct horse", against: hash))
        #expect(try await hasher.verify("wrong horse", against: hash) == false)
        // Each hash has its own salt.
        #expect(try await hasher.hash("correct horse") != hash)
        await hasher.shutdown()
    }

    @Test func directusDefaultParameterHashVerifies() async throws {
        // Made by the reference argon2 CLI with node-argon2's defaults, as Directus stores passwords.
        let hash = try String(contentsOfFile: Repository.fixture("directus-default-argon2.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(hash.hasPrefix("$argon2id$v=19$m=65536,t=3,p=4$"))
        let hasher = PasswordHasher()
        #expect(try await hasher.verify("password", against: hash))
        #expect(try await hasher.verify("Password", against: hash) == false)
        // Depot's own default hashes use the same parameters, so they move to Directus unchanged.
        #expect(try await hasher.hash("x").hasPrefix("$argon2id$v=19$m=65536,t=3,p=4$"))
        await hasher.shutdown()
    }

    @Test(arguments: ["", "plain", "$argon2id$v=19$m=65536,t=3,p=4$bad", "$2b$10$abcdefghijklmnopqrstuv"])
    func malformedHashesDoNotVerify(hash: String) async throws {
        let hasher = PasswordHasher(parameters: TestServices.fastHash)
        #expect(try await hasher.verify("password", against: hash) == false)
        await hasher.shutdown()
    }
}

@Suite struct JWTTests {
    let signer = JWTSigner(secret: "secret-one")
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func claims(expiresIn: Int = 900) -> TokenClaims {
        TokenClaims(id: "u1", role: "r1", appAccess: true, adminAccess: false, session: nil,
                    issuedAt: Int(now.timeIntervalSince1970), expiresAt: Int(now.timeIntervalSince1970) + expiresIn)
    }

    @Test func signedTokensVerifyWithTheirClaims() throws {
        let token = signer.sign(claims())
        #expect(JWTSigner.isDirectusJWT(token))
        let decoded = try signer.verify(token, now: now)
        #expect(decoded == claims())
    }

    @Test func expiredTokensAreTokenExpired() {
        let token = signer.sign(claims(expiresIn: 10))
        #expect(throws: CMSError.tokenExpired) { try signer.verify(token, now: now.addingTimeInterval(11)) }
    }

    @Test func otherSecretsAndTamperingAreInvalidToken() throws {
        let token = signer.sign(claims())
        #expect(throws: CMSError.invalidToken) { try JWTSigner(secret: "secret-two").verify(token, now: now) }
        // Flip the admin flag in the payload, keep the signature.
        let parts = token.split(separator: ".").map(String.init)
        let forged = String(decoding: Data(base64Encoded: parts[1].padding(toLength: (parts[1].count + 3) / 4 * 4, withPad: "=", startingAt: 0))!, as: UTF8.self)
            .replacingOccurrences(of: "\"admin_access\":false", with: "\"admin_access\":true")
        let forgedPayload = Data(forged.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(throws: CMSError.invalidToken) { try signer.verify("\(parts[0]).\(forgedPayload).\(parts[2])", now: now) }
        #expect(throws: CMSError.invalidToken) { try signer.verify("\(parts[0]).\(parts[1]).AAAA", now: now) }
    }

    @Test func unsignedAlgNoneTokensAreRefused() {
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let payload = Data(#"{"id":"u1","role":null,"app_access":true,"admin_access":true,"iss":"directus","exp":9999999999}"#.utf8)
            .base64EncodedString().replacingOccurrences(of: "=", with: "")
        #expect(throws: CMSError.invalidToken) { try signer.verify("\(header).\(payload).", now: now) }
    }

    @Test func nonDirectusStringsAreNotJWTs() {
        #expect(JWTSigner.isDirectusJWT("my-static-token") == false)
        #expect(JWTSigner.isDirectusJWT("a.b.c") == false)
    }
}
