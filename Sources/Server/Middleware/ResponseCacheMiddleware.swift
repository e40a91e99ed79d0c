import Cache
import CMS
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Serves `GET`/`HEAD`/`SEARCH` on the cacheable routes from the response cache, and stores what it misses,
/// tagged with the tables the answer read. Sets `Cache-Control`, `Vary` and `X-Cache` as API.md says.
struct ResponseCacheMiddleware: RouterMiddleware {
    typealias Context = DepotRequestContext
    let cache: ResponseCache?
    let configuration: CacheConfiguration
    let permissions: PermissionsResolver
    let maxPayloadSize: Int

    static let prefixes = ["/items/", "/files", "/collections", "/fields", "/relations", "/settings"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard [.get, .head, .search].contains(request.method),
              Self.prefixes.contains(where: { path.hasPrefix($0) && (path.count == $0.count || $0.hasSuffix("/") || path.dropFirst($0.count).first == "/") })
        else { return try await next(request, context) }
        let skip = configuration.skipAllowed && (request.headers[.cacheControl]?.containsBytes("no-store") ?? false)
        guard let cache, !skip, request.uri.query?.containsBytes("export=") != true else {
            return Self.headed(try await next(request, context), cacheControl: skip ? "no-store" : "no-cache", status: nil)
        }
        var request = request
        var body: [UInt8]?
        if request.method == .search {
            let buffer = try await request.body.collect(upTo: maxPayloadSize)
            body = Array(buffer.readableBytesView)
            request.body = .init(buffer: buffer)
        }
        let caller = context.accountability
        guard let fingerprint = try await permissions.fingerprint(for: caller),
              let key = CacheKey.make(method: request.method.rawValue, path: path, query: request.uri.query, body: body,
                                      fingerprint: fingerprint, caller: caller)
        else { return Self.headed(try await next(request, context), cacheControl: "no-cache", status: "MISS") }

        let readAt: UInt64?
        switch try? await cache.store.lookup(key) {
        case .hit(let bytes)?:
            if let cached = CachedResponse(decoding: bytes) { return hit(cached, caller: caller) }
            readAt = nil
        case .miss(let sequence)?: readAt = sequence
        case nil: readAt = nil   // the store is unavailable: answer without it
        }
        let tracker = ReadTracker()
        let response = try await ReadTracker.$current.withValue(tracker) { try await next(request, context) }
        guard let readAt, response.status == .ok, tracker.cacheable else {
            return Self.headed(response, cacheControl: "no-cache", status: "MISS")
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        var fresh = response
        fresh.body = .init(byteBuffer: collector.buffer)
        let expires = Date().timeIntervalSince1970 + configuration.ttl
        if configuration.valueMaxSize.map({ collector.buffer.readableBytes <= $0 }) ?? true {
            let entry = CachedResponse(status: 200, headers: fresh.headers, body: collector.buffer, expires: expires)
            do { try await cache.store.store(key, entry.encoded(), tags: tracker.tables, readAt: readAt, ttl: configuration.ttl) }
            catch { cache.logger.debug("cache store failed", metadata: ["error": "\(error)"]) }
        }
        return Self.headed(fresh, cacheControl: cacheControl(caller: caller, remaining: configuration.ttl), status: "MISS")
    }

    private func hit(_ cached: CachedResponse, caller: Accountability) -> Response {
        let response = Response(status: .init(code: cached.status), headers: cached.headers, body: .init(byteBuffer: cached.body))
        let remaining = max(0, cached.expires - Date().timeIntervalSince1970)
        return Self.headed(response, cacheControl: cacheControl(caller: caller, remaining: remaining), status: "HIT")
    }

    /// Directus's rule as API.md states it: public callers may keep the answer for the cache's remaining time;
    /// authenticated ones, or a cache that empties on every write, must revalidate.
    private func cacheControl(caller: Accountability, remaining: Double) -> String {
        guard !caller.isAuthenticated, !configuration.autoPurge, remaining >= 1 else { return "no-cache" }
        return "public, max-age=\(Int(remaining))" + (configuration.sMaxAge.map { ", s-maxage=\($0)" } ?? "")
    }

    private static func headed(_ response: Response, cacheControl: String, status: String?) -> Response {
        var response = response
        response.headers[.cacheControl] = cacheControl
        response.headers[.vary] = "Origin, Cache-Control"
        if let status { response.headers[HTTPField.Name("X-Cache")!] = status }
        return response
    }
}
