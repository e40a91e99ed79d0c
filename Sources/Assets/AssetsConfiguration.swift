/// How Depot transforms images (`ASSETS_TRANSFORM_*`) and how libvips runs inside it.
public struct AssetsConfiguration: Sendable, Equatable {
    /// `ASSETS_TRANSFORM_IMAGE_MAX_DIMENSION`: the largest `width`/`height` a request may ask for.
    public var maxDimension = 6000
    /// `ASSETS_TRANSFORM_MAX_INPUT_PIXELS`: sources with more pixels are refused from their header, never decoded.
    public var maxInputPixels = 70_000_000
    /// `ASSETS_TRANSFORM_MAX_MEMORY` (Depot's own): the memory one transform may need, estimated from the source's
    /// header and the output size; past it the request is refused before any decode.
    public var maxMemory = 384 * 1024 * 1024
    /// `ASSETS_TRANSFORM_MAX_OPERATIONS`: entries of `transforms` (presets are exempt).
    public var maxOperations = 5
    /// `ASSETS_TRANSFORM_TIMEOUT`, in seconds.
    public var timeout = 7.5
    /// `ASSETS_TRANSFORM_MAX_CONCURRENT`: transforms running at once, each on its own thread.
    public var maxConcurrent = System.coreCount
    /// `ASSETS_TRANSFORM_MAX_QUEUE`: transforms waiting for a thread before new ones get 503.
    public var maxQueue = 64
    /// Sources at most this large are read into memory from remote storage; larger ones go through a temporary file.
    public var maxBufferedSource = 32 * 1024 * 1024
    /// `ASSETS_AVIF_EFFORT` (Depot's own, 0…9): the AVIF encoder's effort. 3 by default, not libvips's 4: a cold
    /// 20 MP photo to 1024 px (Q50, bench/formats.sh) took 4.9× a JPEG request's time at effort 4 and 2.6× at
    /// effort 3 (247 vs 95 ms), for a file 6 % larger — a cold `format=auto` stays within three JPEGs.
    public var avifEffort = 3
    /// `ASSETS_WEBP_EFFORT` (Depot's own, 0…6): the WebP encoder's effort (libvips's default 4, about 1.4× JPEG).
    public var webpEffort = 4
    /// `ASSETS_SOURCE_CACHE_MAX_MEMORY` (Depot's own): the memory held by sources decoded at a reduced size and
    /// kept for the other sizes asked of them (a page's `srcset`); 0 turns the reuse off.
    public var sourceCacheMaxMemory = 64 * 1024 * 1024
    /// `ASSETS_SOURCE_CACHE_TTL` (Depot's own), in seconds: how long a decoded source is kept after its last use.
    public var sourceCacheTTL = 30.0
    /// libvips's own operation cache: bounded so that memory stays predictable.
    public var vipsCacheMaxOperations: Int32 = 0
    public var vipsCacheMaxMemory: Int = 0
    /// Worker threads libvips uses inside one pipeline; parallelism comes from running several transforms.
    public var vipsConcurrency: Int32 = 1

    public init() {}
}

enum System {
    static var coreCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

#if canImport(Glibc)
import Glibc
#endif
