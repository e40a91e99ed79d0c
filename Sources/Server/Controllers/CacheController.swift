import CMS
import Hummingbird

/// `POST /utils/cache/clear` (administrators): empties the response cache of every instance sharing it.
struct CacheController {
    let cache: ResponseCache?

    func register(on router: Router<DepotRequestContext>) {
        router.post("/utils/cache/clear") { _, context in
            guard context.accountability.admin else { throw CMSError.forbidden }
            await cache?.clear()
            return Response(status: .ok)
        }
    }
}
