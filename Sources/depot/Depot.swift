import ArgumentParser
import Foundation
import Logging
import Server

@main
struct Depot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "depot",
        abstract: "Asset server and headless-CMS API, compatible with the Directus REST API.",
        version: depotVersion,
        subcommands: [Serve.self, Migrate.self, Bootstrap.self, StorageCommand.self],
        defaultSubcommand: Serve.self)
}

/// Loads the configuration; on a user error prints one line and exits non-zero (no stack trace).
func loadConfiguration() -> DepotConfiguration {
    do {
        let configuration = try DepotConfiguration(environment: try EnvironmentSource.load())
        DepotLogHandler.bootstrap(configuration)
        return configuration
    } catch {
        fail(error)
    }
}

func fail(_ error: any Error, during phase: String = "startup") -> Never {
    let line = error is ConfigurationError ? "\(error)" : "\(phase) error: \(error)"
    FileHandle.standardError.write(Data((line + "\n").utf8))
    exit(1)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (default).")

    func run() async throws {
        MallocTuning.apply()
        let configuration = loadConfiguration()
        let logger = Logger(label: "depot")
        let services: DepotServices
        do {
            services = try await DepotServices.start(configuration, logger: logger)
        } catch {
            fail(error)
        }
        await Maintenance.reconcileStorage(services, logger: logger)
        do {
            try await DepotServer.run(services, logger: logger)
        } catch {
            fail(error, during: "server")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    func run() async throws {
        let configuration = loadConfiguration()
        do {
            try await Maintenance.migrate(configuration, logger: Logger(label: "depot"))
        } catch {
            fail(error)
        }
    }
}

struct Bootstrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate and create the first administrator when none exists, then exit.")

    func run() async throws {
        let configuration = loadConfiguration()
        do {
            let services = try await DepotServices.start(configuration, logger: Logger(label: "depot"))
            await services.shutdown()
        } catch {
            fail(error)
        }
    }
}

struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "Storage maintenance.",
                                                    subcommands: [StorageCheck.self])
}

struct StorageCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "List objects without a directus_files row (and derivatives without their file), rows without their object, abandoned uploads and temporary files.",
        discussion: "One line per finding, then a summary. --remove deletes orphan objects, abandoned uploads and temporary files; rows without their object are only listed.")

    @Option(name: .long, help: "Only this storage location (default: all).")
    var location: String?

    @Flag(name: .long, help: "Remove orphan objects, abandoned uploads and temporary files.")
    var remove = false

    func run() async throws {
        let configuration = loadConfiguration()
        do {
            for line in try await Maintenance.storageCheck(configuration, location: location, remove: remove) { print(line) }
        } catch {
            fail(error, during: "storage check")
        }
    }
}
