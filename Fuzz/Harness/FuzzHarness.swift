import Foundation

/// The entry points of the libFuzzer targets (`Fuzz/<Target>/main.swift`, run by `scripts/fuzz.sh`), shared with
/// `FuzzRegressionTests`, which feeds every input of `Fixtures/fuzz-crashes/<target>/` through the same function.
/// Each takes the fuzzer's bytes, runs one parser or compiler, and traps when an invariant breaks: a crash and a
/// wrong answer look the same to libFuzzer. Errors the code throws on purpose (CMSError, AssetsError) are fine.
///
/// It reaches internal API through `@testable import`, so it builds only where the test target does (debug).
public enum FuzzHarness {
    /// Target name (`scripts/fuzz.sh list`, the folder names under `Fixtures/fuzz*/`) → entry point.
    public static let targets: [String: @Sendable ([UInt8]) -> Void] = [
        "query": query, "transform": transform, "range": range, "multipart": multipart, "sigv4": sigv4, "metadata": metadata,
    ]

    /// Runs the entry point of `target`; false when there is none of that name.
    @discardableResult
    public static func run(_ target: String, _ bytes: [UInt8]) -> Bool {
        guard let entry = targets[target] else { return false }
        entry(bytes)
        return true
    }

    /// `DEPOT_FUZZ_VERBOSE=1`: entry points print what they refused or produced (to check that seeds get far).
    static let verbose = ProcessInfo.processInfo.environment["DEPOT_FUZZ_VERBOSE"] == "1"

    static func log(_ message: @autoclosure () -> String) {
        if verbose { print(message()) }
    }

    /// Traps with `message` when `condition` is false: the fuzzer records the input as a crash.
    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant broken: \(message())") }
    }

    /// `a=1&b[c]=2` → pairs in order, percent-decoded as a server decodes a request's query (`+` stays `+`).
    static func queryPairs(_ text: Substring) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { piece in
            let key: Substring, value: Substring
            if let equals = piece.firstIndex(of: "=") {
                key = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                key = piece
                value = ""
            }
            return (String(key).removingPercentEncoding ?? String(key), String(value).removingPercentEncoding ?? String(value))
        }
    }
}
