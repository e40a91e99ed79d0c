import CMS
import Hummingbird

/// `/auth/login`, `/auth/refresh`, `/auth/logout` in Directus's three modes (json, cookie, session).
struct AuthController {
    let authentication: AuthenticationService
    let cookies: CookieConfiguration
    let maxPayloadSize: Int
    let refreshTTL: Double
    let sessionTTL: Double

    func register(on router: Router<DepotRequestContext>) {
        router.post("/auth/login") { request, context in
            let body = try await request.jsonBody(limit: maxPayloadSize)
            guard let email = body["email"]?.stringValue, email.contains("@") else {
                throw CMSError.invalidPayload("\"email\" must be a valid email")
            }
            guard let password = body["password"]?.stringValue else { throw CMSError.invalidPayload("\"password\" is required") }
            let mode = try Self.mode(body["mode"]) ?? .json
            let tokens = try await authentication.login(email: email, password: password, mode: mode, context: context.accountability)
            return respond(tokens, mode: mode)
        }
        router.post("/auth/refresh") { request, _ in
            let (token, mode) = try await refreshToken(request)
            return respond(try await authentication.refresh(token, mode: mode), mode: mode)
        }
        router.post("/auth/logout") { request, _ in
            let (token, _) = try await refreshToken(request)
            try await authentication.logout(token)
            var response = JSONResponse.noContent
            response.headers[values: .setCookie] = [expired(cookies.refreshName), expired(cookies.sessionName)]
            return response
        }
    }

    /// Mode: `body.mode`; else json when the body has `refresh_token`; else cookie — as Directus decides.
    private func refreshToken(_ request: Request) async throws -> (String, LoginMode) {
        // Cookie and session modes may send no body at all.
        let body = try await request.optionalJSONBody(limit: maxPayloadSize) ?? .object([])
        let mode = try Self.mode(body["mode"]) ?? (body["refresh_token"] != nil ? .json : .cookie)
        let token: String? = switch mode {
        case .json: body["refresh_token"]?.stringValue
        case .cookie: request.cookie(cookies.refreshName)
        case .session: try request.cookie(cookies.sessionName).flatMap { try authentication.sessionToken(inSessionJWT: $0) }
        }
        guard let token, !token.isEmpty else {
            throw CMSError.invalidPayload("The refresh token is required in either the payload or cookie")
        }
        return (token, mode)
    }

    private func respond(_ tokens: IssuedTokens, mode: LoginMode) -> Response {
        switch mode {
        case .json:
            return JSONResponse.data(.object([("access_token", .string(tokens.accessToken)), ("refresh_token", .string(tokens.refreshToken)), ("expires", .int(Int64(tokens.expiresMs)))]))
        case .cookie:
            var response = JSONResponse.data(.object([("access_token", .string(tokens.accessToken)), ("expires", .int(Int64(tokens.expiresMs)))]))
            response.headers[.setCookie] = cookie(cookies.refreshName, tokens.refreshToken, maxAge: refreshTTL)
            return response
        case .session:
            var response = JSONResponse.data(.object([("expires", .int(Int64(tokens.expiresMs)))]))
            response.headers[.setCookie] = cookie(cookies.sessionName, tokens.accessToken, maxAge: sessionTTL)
            return response
        }
    }

    private static func mode(_ value: JSONValue?) throws -> LoginMode? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue, let mode = LoginMode(rawValue: text) else {
            throw CMSError.invalidPayload("\"mode\" must be one of [json, cookie, session]")
        }
        return mode
    }

    private func cookie(_ name: String, _ value: String, maxAge: Double) -> String {
        var parts = ["\(name)=\(value)", "Max-Age=\(Int(maxAge))", "Path=/", "HttpOnly", "SameSite=\(cookies.sameSite)"]
        if cookies.secure { parts.append("Secure") }
        if let domain = cookies.domain { parts.append("Domain=\(domain)") }
        return parts.joined(separator: "; ")
    }

    private func expired(_ name: String) -> String {
        "\(name)=; Max-Age=0; Path=/; HttpOnly; SameSite=\(cookies.sameSite)"
    }
}
