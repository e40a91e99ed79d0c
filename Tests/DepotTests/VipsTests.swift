import Assets
import Testing

@Suite struct VipsTests {
    @Test func startsAndReadsImageHeadersWithoutDecoding() throws {
        let vips = try VipsRuntime.start(AssetsConfiguration())
        #expect(vips.version.hasPrefix("8."))
        let header = try vips.header(path: Repository.fixture("thumb-20k.jpg"))
        #expect(header.width == 400 && header.height == 225 && header.bands == 3 && !header.hasAlpha)
        #expect(throws: VipsError.self) { _ = try vips.header(path: Repository.fixture("README.md")) }
    }
}
