import Foundation
import NIOPosix

/// One configured location (`STORAGE_<LOC>_*`).
public struct StorageLocationConfiguration: Sendable, Equatable {
    public enum Driver: Sendable, Equatable {
        case local(root: String)
        case s3(S3Configuration)
    }
    public let name: String
    public let driver: Driver

    public init(name: String, driver: Driver) {
        self.name = name
        self.driver = driver
    }
}

/// `STORAGE_LOCATIONS`: the first location is where uploads go by default.
public struct StorageConfiguration: Sendable, Equatable {
    public var locations: [StorageLocationConfiguration]
    /// Threads for blocking file calls.
    public var threads: Int = 4
    /// Threads for libcurl transfers (S3); a streaming download holds one while it is read.
    public var transferThreads: Int = 32
    /// A write (a temporary file, a pending upload) untouched this long is abandoned even when its writer cannot
    /// be asked whether it is alive (another host): longer than any upload may stall. A writer of this host that
    /// is gone is known at once.
    public var staleWriteAge: TimeInterval = 24 * 3600

    public init(locations: [StorageLocationConfiguration]) { self.locations = locations }
}

/// The named storage locations, built once at start-up.
public final class StorageLocations: Sendable {
    public let names: [String]
    private let drivers: [String: any StorageDriver]
    private let threads: NIOThreadPool
    /// The HTTP client of the S3 locations; imports use it too.
    public let http: CurlSession

    public init(_ configuration: StorageConfiguration) throws {
        let threads = NIOThreadPool(numberOfThreads: max(1, configuration.threads))
        threads.start()
        let http = CurlSession(threads: configuration.transferThreads)
        var drivers: [String: any StorageDriver] = [:]
        for location in configuration.locations {
            switch location.driver {
            case .local(let root): drivers[location.name] = try LocalDriver(root: root, threads: threads)
            case .s3(let s3): drivers[location.name] = try S3Driver(s3, session: http)
            }
        }
        self.http = http
        self.names = configuration.locations.map(\.name)
        self.drivers = drivers
        self.threads = threads
    }

    public var defaultName: String { names[0] }

    public func driver(_ name: String) throws -> any StorageDriver {
        guard let driver = drivers[name] else { throw StorageError.unknownLocation(name) }
        return driver
    }

    public func shutdown() async {
        try? await threads.shutdownGracefully()
        await http.shutdown()
    }
}
