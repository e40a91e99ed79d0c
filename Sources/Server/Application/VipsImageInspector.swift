import Assets
import CMS
import NIOPosix

/// Image dimensions for the files service, read by libvips off the event loops.
struct VipsImageInspector: ImageInspector {
    let vips: VipsRuntime

    func dimensions(prefix: [UInt8]) async -> (width: Int, height: Int)? {
        let vips = self.vips
        return try? await NIOThreadPool.singleton.runIfActive { vips.header(prefix: prefix) }
    }
}
