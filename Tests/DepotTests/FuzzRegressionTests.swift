import Foundation
import FuzzHarness
import Testing

/// Every input a fuzzer crashed on (`Fixtures/fuzz-crashes/<target>/<name>`) and every seed (`Fixtures/fuzz/<target>/`)
/// goes through the fuzz target's own entry point (`FuzzHarness`), in a child process: it must end normally. The
/// entry point throws nothing: a refusal (CMSError, AssetsError) is an answer, a trap or a broken invariant is not.
@Suite struct FuzzRegressionTests {
    struct Input: Sendable, CustomTestStringConvertible {
        let target: String
        let path: String
        var testDescription: String { "\(target)/\(URL(fileURLWithPath: path).lastPathComponent)" }
    }

    static func inputs(_ folder: String) -> [Input] {
        let root = Repository.fixture(folder)
        let manager = FileManager.default
        let targets = ((try? manager.contentsOfDirectory(atPath: root)) ?? []).sorted()
        return targets.flatMap { target in
            let files = ((try? manager.contentsOfDirectory(atPath: root + "/" + target)) ?? []).sorted()
            return files.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.map { Input(target: target, path: root + "/" + target + "/" + $0) }
        }
    }

    @Test(arguments: inputs("fuzz-crashes"))
    func crashInputEndsNormally(_ input: Input) async throws {
        try await expectNoTrap(input)
    }

    @Test(arguments: inputs("fuzz"))
    func seedEndsNormally(_ input: Input) async throws {
        try await expectNoTrap(input)
    }

    private func expectNoTrap(_ input: Input) async throws {
        #expect(FuzzHarness.targets[input.target] != nil, "no fuzz target \"\(input.target)\"")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input.path)))
        await #expect(processExitsWith: .success, "\(input.testDescription)") { [target = input.target as String, bytes = bytes as [UInt8]] in
            FuzzHarness.run(target, bytes)
        }
    }
}
