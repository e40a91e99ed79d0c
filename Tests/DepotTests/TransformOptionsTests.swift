@testable import Assets
import Testing

/// Query parameters and presets → normalised options → the derivative's hash; and the geometry plan.
@Suite struct TransformOptionsTests {
    let limits = AssetsConfiguration()

    func parse(_ query: [String: String], _ settings: AssetSettings = AssetSettings()) throws -> TransformOptions? {
        try TransformRequest.parse(query, settings: settings, limits: limits)
    }

    func hash(_ query: [String: String], source: ImageFormat = .jpeg, accept: String? = nil) throws -> String {
        try #require(try parse(query)).resolve(source: source, storedFocalPoint: nil, accept: accept).hash
    }

    @Test func noTransformParametersMeansTheOriginal() throws {
        #expect(try parse([:]) == nil)
        #expect(try parse(["download": "", "access_token": "x"]) == nil)
    }

    @Test func parsesDirectusParameters() throws {
        let o = try #require(try parse(["width": "400", "height": "300", "fit": "contain", "withoutEnlargement": "true",
                                         "quality": "70", "format": "webp"]))
        #expect(o.width == 400 && o.height == 300 && o.fit == .contain && o.withoutEnlargement)
        #expect(o.quality == 70 && o.format == .fixed(.webp))
        let t = try #require(try parse(["transforms": #"[["rotate",90],["blur",10],["tint","rgb(255,0,255)"]]"#]))
        #expect(t.operations == [.rotate(90, background: .black), .blur(10), .tint(Colour(r: 255, g: 0, b: 255, alpha: 255))])
    }

    /// Numbers are read as Directus reads them: blanks around them (a `+` in a query string) are ignored, and
    /// a whole number may be written with a fraction of zero.
    @Test func numbersMayCarryBlanksAndAZeroFraction() throws {
        for text in ["300", " 300", "300 ", "\t300", "\u{00A0}300\u{2003}", "300.0", "+300"] {
            #expect(try parse(["width": text])?.width == 300, "\(text)")
        }
        for text in ["3 00", "300px", "3e", "\n300"] {
            #expect(throws: AssetsError.self, "\(text)") { try parse(["width": text]) }
        }
    }

    @Test func hashIsStableAndIndependentOfParameterOrderAndSpelling() throws {
        let a = try hash(["width": "400", "height": "300", "format": "jpg"])
        #expect(a == (try hash(["format": "jpeg", "height": "300", "width": "400"])))
        // Defaults made explicit name the same derivative.
        #expect(a == (try hash(["width": "400", "height": "300", "format": "jpg", "fit": "cover", "quality": "80"])))
        // Without a format the source's format is kept: a JPEG source gives the same output as format=jpg.
        #expect(a == (try hash(["width": "400", "height": "300"])))
        #expect(a != (try hash(["width": "400", "height": "301"])))
        #expect(a != (try hash(["width": "400", "height": "300", "quality": "81"])))
        let again = try hash(["width": "400", "height": "300", "format": "jpg"])
        #expect(a.count == 32 && a == again)
        // The focal point matters for a fixed cover crop only.
        let single = try hash(["width": "400"]), singleWithFocus = try hash(["width": "400", "focal_point_x": "10", "focal_point_y": "10"])
        #expect(single == singleWithFocus)
        #expect(a != (try hash(["width": "400", "height": "300", "focal_point_x": "10", "focal_point_y": "10"])))
    }

    @Test func autoFormatFollowsAccept() throws {
        let o = try #require(try parse(["width": "100", "format": "auto"]))
        func output(_ accept: String?) -> OutputFormat { o.resolve(source: .jpeg, storedFocalPoint: nil, accept: accept).output }
        #expect(output("image/avif,image/webp,*/*") == .fixed(.avif))
        #expect(output("image/webp,*/*;q=0.8") == .fixed(.webp))
        #expect(output("image/avif;q=0,image/webp") == .fixed(.webp))
        #expect(output("*/*") == .byAlpha)
        #expect(output(nil) == .byAlpha)
        #expect(OutputFormat.byAlpha.format(hasAlpha: true) == .png && OutputFormat.byAlpha.format(hasAlpha: false) == .jpeg)
        #expect(o.resolve(source: .jpeg, storedFocalPoint: nil, accept: "image/webp").varyAccept)
        let auto = try hash(["width": "100", "format": "auto"], accept: "image/webp"), webp = try hash(["width": "100", "format": "webp"])
        #expect(auto == webp)
    }

    @Test func refusesBadValuesAndLimits() throws {
        for query in [["width": "0"], ["width": "-5"], ["width": "abc"], ["width": "6001"], ["height": "100000"],
                      ["quality": "0"], ["quality": "101"], ["fit": "fill", "width": "10"], ["format": "gif"],
                      ["transforms": "not json"], ["transforms": #"{"a":1}"#], ["transforms": #"[["explode"]]"#],
                      ["transforms": #"[["blur",0.01]]"#], ["transforms": #"[["extend",{"top":10}]]"#],
                      ["transforms": #"[["resize",{"width":7000}]]"#], ["focal_point_x": "10"]] {
            #expect(throws: AssetsError.self, "\(query)") { try parse(query) }
        }
        let six = #"[["flip"],["flop"],["negate"],["blur"],["median"],["normalise"]]"#
        // Directus's asset route answers these with INVALID_QUERY.
        for query in [["transforms": six], ["transforms": "not json"], ["transforms": #"{"a":1}"#], ["transforms": #"[["explode"]]"#]] {
            let error = try #require(throws: AssetsError.self) { try parse(query) }
            #expect(error.code == "INVALID_QUERY" && error.status == 400, "\(query)")
        }
        var more = limits
        more.maxDimension = 8000
        #expect(try TransformRequest.parse(["width": "7000"], settings: AssetSettings(), limits: more)?.width == 7000)
    }

    @Test func presetsAndTheThreeTransformModes() throws {
        let presets = try AssetPreset.parse(json: #"[{"key":"card","fit":"cover","width":320,"height":200,"quality":60,"format":"webp","transforms":[["greyscale"]]},{"key":"broken","width":-1}]"#,
                                            maxDimension: 6000)
        let card = try #require(try parse(["key": "card"], AssetSettings(policy: .all, presets: presets)))
        #expect(card.width == 320 && card.height == 200 && card.quality == 60 && card.format == .fixed(.webp) && card.operations == [.greyscale])
        #expect(throws: AssetsError.self) { try parse(["key": "broken"], AssetSettings(policy: .all, presets: presets)) }
        #expect(throws: AssetsError.self) { try parse(["key": "nope"], AssetSettings(policy: .all, presets: presets)) }
        let combined = try #require(throws: AssetsError.self) { try parse(["key": "card", "width": "10"], AssetSettings(presets: presets)) }
        #expect(combined.code == "INVALID_QUERY")

        let onlyPresets = AssetSettings(policy: .presets, presets: presets)
        #expect(try parse(["key": "card"], onlyPresets)?.width == 320)
        #expect(try parse(["key": "system-small-cover"], onlyPresets)?.width == 64)
        let adHoc = try #require(throws: AssetsError.self) { try parse(["width": "10"], onlyPresets) }
        #expect(adHoc.message == "Only configured presets can be used in asset generation.")

        let none = AssetSettings(policy: .none, presets: presets)
        #expect(try parse(["key": "system-large-contain"], none)?.width == 800)
        #expect(throws: AssetsError.self) { try parse(["key": "card"], none) }
        let disabled = try #require(throws: AssetsError.self) { try parse(["width": "10"], none) }
        #expect(disabled.message == "Dynamic asset generation has been disabled for this project.")
        #expect(try parse([:], none) == nil)
    }

    @Test func geometryFollowsSharp() {
        func plan(_ w: Int?, _ h: Int?, _ fit: Fit = .cover, without: Bool = false, focal: FocalPoint? = nil,
                  source: (Int, Int) = (6028, 3391)) -> GeometryPlan {
            var o = TransformOptions()
            o.width = w
            o.height = h
            o.fit = fit
            o.withoutEnlargement = without
            o.focalPoint = focal
            return GeometryPlan.plan(sourceWidth: source.0, sourceHeight: source.1, options: o)
        }
        func size(_ p: GeometryPlan) -> [Int] { [p.outputWidth, p.outputHeight] }
        #expect(size(plan(400, nil)) == [400, 225])
        #expect(size(plan(nil, 225)) == [400, 225])
        #expect(size(plan(400, 400, .cover)) == [400, 400])
        #expect(plan(400, 400, .cover).resizeHeight == 400 && plan(400, 400, .cover).crop?.width == 400)
        #expect(size(plan(400, 400, .contain)) == [400, 400] && plan(400, 400, .contain).resizeHeight == 225)
        #expect(plan(400, 400, .contain).canvas?.top == 87)
        #expect(size(plan(400, 400, .inside)) == [400, 225])
        #expect(size(plan(400, 400, .outside)) == [711, 400])
        // Without enlargement: never larger than the source.
        #expect(size(plan(800, nil, without: true, source: (400, 225))) == [400, 225])
        #expect(size(plan(800, nil, source: (400, 225))) == [800, 450])
        #expect(size(plan(500, 500, .cover, without: true, source: (400, 225))) == [400, 225])
        #expect(size(plan(300, 300, .cover, without: true, source: (400, 225))) == [300, 225])
        // A focal point near the right edge moves the crop there, clamped to the image.
        let right = plan(100, 100, .cover, focal: FocalPoint(x: 6000, y: 1700))
        #expect(right.crop?.left == right.resizeWidth - 100)
        let centre = plan(100, 100, .cover)
        #expect(centre.crop?.left == (centre.resizeWidth - 100) / 2)
        #expect(GeometryPlan.jpegShrink(sourceWidth: 6028, sourceHeight: 3391, resizeWidth: 400, resizeHeight: 225) == 8)
        #expect(GeometryPlan.jpegShrink(sourceWidth: 6028, sourceHeight: 3391, resizeWidth: 1920, resizeHeight: 1080) == 2)
        #expect(GeometryPlan.jpegShrink(sourceWidth: 400, sourceHeight: 225, resizeWidth: 300, resizeHeight: 169) == 1)
    }
}
