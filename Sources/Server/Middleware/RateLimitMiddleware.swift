import Cache
import Database
import Foundation
import CMS
import Hummingbird
import Logging

/// `RATE_LIMITER_GLOBAL_*` for all callers together, then `RATE_LIMITER_*` per client address: over the limit
/// → 429 REQUESTS_EXCEEDED with `Retry-After`. A failing store never fails the request.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let store: any RateLimitStore
    let configuration: RateLimiterConfiguration
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let global = configuration.global { try await consume("global-rate-limit", global) }
        if let perAddress = configuration.perAddress, let address = context.clientIP { try await consume("ip:" + address, perAddress) }
        return try await next(request, context)
    }

    private func consume(_ key: String, _ limit: RateLimiterConfiguration.Limit) async throws {
        let outcome: RateLimitOutcome
        do { outcome = try await store.consume(key, points: limit.points, duration: limit.duration) }
        catch {
            logger.debug("rate limiter unavailable", metadata: ["error": "\(error)"])
            return
        }
        guard outcome.allowed else {
            throw CMSError(code: "REQUESTS_EXCEEDED", status: 429, message: "Too many requests, retry after \(outcome.retryAfter)s.",
                           extensions: ["limit": String(limit.points),
                                        "reset": ISO8601.string(from: Date().addingTimeInterval(Double(outcome.retryAfter)))],
                           retryAfter: outcome.retryAfter)
        }
    }
}
