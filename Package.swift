// swift-tools-version:6.0
import Foundation
import PackageDescription

/// Module map of DESIGN.md: arrows point down only.
/// depot → Server → CMS / Assets / Cache → Database / Storage → C modules.
let package = Package(
    name: "depot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "depot", targets: ["depot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
    ],
    targets: [
        // C modules: system libraries found through pkg-config, plus fixed-arity shims where the
        // library's API is variadic (Swift cannot call C variadic functions).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CVipsLib", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .systemLibrary(name: "CCurlLib", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CVips", dependencies: ["CVipsLib"]),
        .target(name: "CCurl", dependencies: ["CCurlLib"]),

        .target(name: "Database", dependencies: [
            "CSQLite", "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Storage", dependencies: [
            "CCurl",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Cache", dependencies: [
            "CHiredis", "CZlib",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Assets", dependencies: [
            "CVips", "Storage", "Database",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "CMS", dependencies: [
            "Database", "Storage", "CArgon2",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "CSV", package: "CSV.swift"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "Server", dependencies: [
            "CMS", "Assets", "Cache", "Database", "Storage",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "depot", dependencies: [
            "Server",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // The fuzz targets' entry points (`@testable import`: debug builds only), also run by FuzzRegressionTests.
        .target(name: "FuzzHarness", dependencies: [
            "Server", "CMS", "Database", "Storage", "Assets",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Fuzz/Harness"),

        .testTarget(name: "DepotTests", dependencies: [
            "Server", "CMS", "Database", "Storage", "Cache", "Assets", "FuzzHarness",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], path: "Tests/DepotTests"),
    ]
)

/// libFuzzer targets (Fuzz/<Target>/main.swift, each calling one entry of FuzzHarness), only with DEPOT_FUZZ=1:
/// they link only with `-sanitize=fuzzer`, so the normal build never sees them. `scripts/fuzz.sh` builds and runs them.
if ProcessInfo.processInfo.environment["DEPOT_FUZZ"] == "1" {
    for name in ["FuzzQuery", "FuzzTransform", "FuzzRange", "FuzzMultipart", "FuzzSigV4", "FuzzMetadata"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["FuzzHarness"], path: "Fuzz/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
