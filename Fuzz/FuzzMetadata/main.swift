import FuzzHarness
import Glibc

// libFuzzer target "metadata": see FuzzHarness.metadata. Build and run with `scripts/fuzz.sh metadata SECONDS`.

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzHarness.metadata(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM renames an executable's `main` (so that tests can link its module), which hides libFuzzer's own
// `main`: hand the command line to libFuzzer's driver from here.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
