/// Where the pixels go, computed from the (oriented) source size and the options before anything is decoded:
/// the size to resize to, then a crop (`cover`) or a letterbox (`contain`). sharp's semantics.
struct GeometryPlan: Equatable {
    struct Box: Equatable {
        var left: Int, top: Int, width: Int, height: Int
    }

    /// Size after the resize.
    var resizeWidth: Int
    var resizeHeight: Int
    /// Cut out of the resized image (`cover`).
    var crop: Box?
    /// The resized image placed on a canvas of this size at (left, top) (`contain`).
    var canvas: Box?

    var outputWidth: Int { canvas?.width ?? crop?.width ?? resizeWidth }
    var outputHeight: Int { canvas?.height ?? crop?.height ?? resizeHeight }

    static func plan(sourceWidth w: Int, sourceHeight h: Int, options o: TransformOptions) -> GeometryPlan {
        let W = Double(w), H = Double(h)
        func size(_ scale: Double) -> (Int, Int) { (max(1, Int((W * scale).rounded())), max(1, Int((H * scale).rounded()))) }
        func limit(_ scale: Double) -> Double { o.withoutEnlargement ? min(scale, 1) : scale }

        switch (o.width, o.height) {
        case (nil, nil):
            return GeometryPlan(resizeWidth: w, resizeHeight: h)
        case (let tw?, nil):
            let (rw, rh) = size(limit(Double(tw) / W))
            return GeometryPlan(resizeWidth: rw, resizeHeight: rh)
        case (nil, let th?):
            let (rw, rh) = size(limit(Double(th) / H))
            return GeometryPlan(resizeWidth: rw, resizeHeight: rh)
        case (let tw?, let th?):
            let sx = Double(tw) / W, sy = Double(th) / H
            switch o.fit {
            case .inside:
                let (rw, rh) = size(limit(min(sx, sy)))
                return GeometryPlan(resizeWidth: rw, resizeHeight: rh)
            case .outside:
                let (rw, rh) = size(limit(max(sx, sy)))
                return GeometryPlan(resizeWidth: rw, resizeHeight: rh)
            case .cover:
                let scale = limit(max(sx, sy))
                var (rw, rh) = size(scale)
                // The covering side lands exactly on the target despite rounding.
                if sx >= sy, scale == sx { rw = tw }
                if sy >= sx, scale == sy { rh = th }
                let cw = min(tw, rw), ch = min(th, rh)
                // A focal point off the image (from the query or the file's row) is taken at its nearest edge.
                let fx = min(max(0, o.focalPoint?.x ?? W / 2), W) * Double(rw) / W
                let fy = min(max(0, o.focalPoint?.y ?? H / 2), H) * Double(rh) / H
                let left = min(max(0, Int((fx - Double(cw) / 2).rounded())), rw - cw)
                let top = min(max(0, Int((fy - Double(ch) / 2).rounded())), rh - ch)
                let crop = (cw, ch) == (rw, rh) ? nil : Box(left: left, top: top, width: cw, height: ch)
                return GeometryPlan(resizeWidth: rw, resizeHeight: rh, crop: crop)
            case .contain:
                // Without enlargement the canvas is no larger than the source either.
                let cw = o.withoutEnlargement ? min(tw, w) : tw, ch = o.withoutEnlargement ? min(th, h) : th
                let scale = min(Double(cw) / W, Double(ch) / H)
                var (rw, rh) = size(scale)
                rw = min(rw, cw)
                rh = min(rh, ch)
                let canvas = (rw, rh) == (cw, ch) ? nil : Box(left: (cw - rw) / 2, top: (ch - rh) / 2, width: cw, height: ch)
                return GeometryPlan(resizeWidth: rw, resizeHeight: rh, canvas: canvas)
            }
        }
    }

    /// The JPEG decoder's shrink factor (1, 2, 4 or 8) that still leaves at least the resize size.
    static func jpegShrink(sourceWidth w: Int, sourceHeight h: Int, resizeWidth rw: Int, resizeHeight rh: Int) -> Int {
        let factor = min(Double(w) / Double(rw), Double(h) / Double(rh))
        for shrink in [8, 4, 2] where factor >= Double(shrink) {
            // libjpeg rounds scaled sizes up, so the shrunk image is ≥ ⌈w / shrink⌉.
            if (w + shrink - 1) / shrink >= rw, (h + shrink - 1) / shrink >= rh { return shrink }
        }
        return 1
    }
}
