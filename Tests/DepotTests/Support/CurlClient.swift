import Foundation

/// The curl command-line client, run as a user runs it: its own defaults (`Expect: 100-continue` before large
/// bodies, `--compressed` negotiation) are what these tests are about.
enum CurlClient {
    struct Result {
        let status: Int32
        let stdout: Data
        let stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    static func run(_ arguments: [String], timeout: Double = 60) async throws -> Result {
        let directory = try TempDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let out = directory + "/out", err = directory + "/err"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--show-error", "--max-time", String(Int(timeout))] + arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try process.run()
        await DepotProcess.waitForExit(process, timeout: timeout + 5)
        if process.isRunning { process.terminate() }
        return Result(status: process.terminationStatus, stdout: (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data(),
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
