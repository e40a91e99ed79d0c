import Foundation

/// glibc's allocator, tuned for a long-running server whose many threads (event loops, database and transform pools,
/// libvips's workers) free what others allocated. By default glibc gives each thread an arena of its own (up to 8 per
/// core) and raises its mmap threshold after every large free, so libvips's row buffers end up in arenas too; freed
/// memory then stays in whichever arena held it, and RSS crept up for as long as the server ran (+41 % between 60 s and
/// 600 s of bench/soak.sh; heaptrack, attached after start-up, saw the heap peak at 32 MB while VmRSS was ~165 MB).
/// Measured with bench/soak.sh (240 s, 64 connections, one binary; RssAnon at 60 s → at the end, and VmRSS growth):
/// default 90.6 → 99.8 MB (+6 %); 2 arenas only 53.7 → 60.7 MB (+6 %); a fixed 128 KiB mmap threshold only 87.9 → 104.4
/// MB (+11 %); both 62.9 → 55.5 MB (−6 %). An operator's own MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ / GLIBC_TUNABLES
/// win.
enum MallocTuning {
    static func apply() {
        // mallopt is glibc's (malloc.h, outside Swift's Glibc module): looked up, and skipped where it is absent.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let environment = ProcessInfo.processInfo.environment
        let tunables = environment["GLIBC_TUNABLES"] ?? ""
        if environment["MALLOC_ARENA_MAX"] == nil, !tunables.contains("arena_max") {
            _ = mallopt(arenaMax, 2)
        }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil, !tunables.contains("mmap_threshold") {
            _ = mallopt(mmapThreshold, 128 * 1024)
        }
    }

    /// M_ARENA_MAX and M_MMAP_THRESHOLD of glibc's malloc.h.
    private static let arenaMax: Int32 = -8
    private static let mmapThreshold: Int32 = -3
}
