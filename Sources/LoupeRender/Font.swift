import CFreeType
import Foundation

package enum FontError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The font file is in none of the folders searched.
    case notFound(file: String, searched: [String])
    /// FreeType refused: what it was asked to do, and its error code.
    case freeType(String, code: Int32)

    package var description: String {
        switch self {
        case .notFound(let file, let searched):
            "font \(file) not found (looked in \(searched.joined(separator: ", "))); "
                + "install the Debian package fonts-dejavu-core, or set LOUPE_FONT_DIR to a folder holding it"
        case .freeType(let what, let code): "FreeType \(what) (error \(code))"
        }
    }
}

/// A TrueType face rendered with FreeType. FreeType's library and faces are
/// not safe to use from several threads at once, so every call into it, and
/// the glyph cache, sit behind one process-wide lock.
package final class Font: @unchecked Sendable {
    /// DejaVu Sans, the face for axes, labels and captions.
    package static func sans() throws -> Font { try named("DejaVuSans.ttf") }
    /// DejaVu Sans Bold, for titles and words drawn into scenes.
    package static func sansBold() throws -> Font { try named("DejaVuSans-Bold.ttf") }

    /// Where DejaVu lives on common systems; `LOUPE_FONT_DIR` goes first.
    static var searchDirectories: [String] {
        var dirs: [String] = []
        if let d = ProcessInfo.processInfo.environment["LOUPE_FONT_DIR"], !d.isEmpty { dirs.append(d) }
        dirs += ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
                 "/usr/share/fonts/truetype", "/usr/local/share/fonts", "/usr/local/share/fonts/dejavu",
                 "/opt/homebrew/share/fonts", "/opt/homebrew/share/fonts/dejavu", "/Library/Fonts"]
        return dirs
    }

    /// Finds a DejaVu file by name in the search directories.
    package static func locate(_ file: String) throws -> String {
        for dir in searchDirectories {
            let path = (dir as NSString).appendingPathComponent(file)
            if FileManager.default.isReadableFile(atPath: path) { return path }
        }
        throw FontError.notFound(file: file, searched: searchDirectories)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var library: FT_Library?
    nonisolated(unsafe) private static var loaded: [String: Font] = [:]

    static func named(_ file: String) throws -> Font {
        let path = try locate(file)
        lock.lock(); defer { lock.unlock() }
        if let f = loaded[path] { return f }
        let f = try Font(lockedPath: path)
        loaded[path] = f
        return f
    }

    /// Opens any TrueType/OpenType file. Faces are cached per path.
    package static func open(path: String) throws -> Font {
        lock.lock(); defer { lock.unlock() }
        if let f = loaded[path] { return f }
        let f = try Font(lockedPath: path)
        loaded[path] = f
        return f
    }

    package let path: String
    private let face: FT_Face
    private var glyphs: [GlyphKey: Glyph] = [:]
    private var currentSize: Int = 0

    /// Caller holds `lock`.
    private init(lockedPath path: String) throws {
        if Font.library == nil {
            var lib: FT_Library?
            let err = FT_Init_FreeType(&lib)
            guard err == 0, let lib else { throw FontError.freeType("failed to initialise", code: Int32(err)) }
            Font.library = lib
        }
        var f: FT_Face?
        let err = FT_New_Face(Font.library, path, 0, &f)
        guard err == 0, let f else { throw FontError.freeType("could not open \(path)", code: Int32(err)) }
        self.face = f
        self.path = path
    }

    private struct GlyphKey: Hashable { let size: Int; let scalar: UInt32 }

    /// One rendered glyph: coverage bitmap, its offset from the pen
    /// position on the baseline, and the pen advance in 1/64 pixel.
    private struct Glyph {
        let width, rows, left, top: Int
        let advance: Int
        let bitmap: [UInt8]
    }

    /// Sizes are whole pixels: fractional sizes would fill the cache with
    /// near-duplicates for no visible gain.
    private static func pixels(_ size: Double) -> Int { max(1, min(512, Int(size.rounded()))) }

    private func setSizeLocked(_ px: Int) {
        if currentSize != px {
            FT_Set_Pixel_Sizes(face, 0, FT_UInt(px))
            currentSize = px
        }
    }

    private func glyphLocked(_ scalar: UInt32, _ px: Int) -> Glyph {
        let key = GlyphKey(size: px, scalar: scalar)
        if let g = glyphs[key] { return g }
        setSizeLocked(px)
        let loadRender: Int32 = 1 << 2   // FT_LOAD_RENDER: load and rasterise to 8-bit coverage
        var g = Glyph(width: 0, rows: 0, left: 0, top: 0, advance: px * 64 / 3, bitmap: [])
        if FT_Load_Char(face, FT_ULong(scalar), loadRender) == 0, let slot = face.pointee.glyph {
            let bm = slot.pointee.bitmap
            let w = Int(bm.width), h = Int(bm.rows), pitch = Int(bm.pitch)
            var bytes = [UInt8](repeating: 0, count: w * h)
            if let buf = bm.buffer, w > 0, h > 0 {
                for y in 0..<h {
                    // A negative pitch means rows are stored bottom-up.
                    let row = pitch >= 0 ? buf + y * pitch : buf + (h - 1 - y) * (-pitch)
                    for x in 0..<w { bytes[y * w + x] = row[x] }
                }
            }
            g = Glyph(width: w, rows: h, left: Int(slot.pointee.bitmap_left), top: Int(slot.pointee.bitmap_top),
                      advance: Int(slot.pointee.advance.x), bitmap: bytes)
        }
        glyphs[key] = g
        return g
    }

    /// Distance from baseline to the top and bottom of the face's line box, in pixels.
    package func lineMetrics(size: Double) -> (ascent: Int, descent: Int) {
        Font.lock.lock(); defer { Font.lock.unlock() }
        let px = Font.pixels(size)
        setSizeLocked(px)
        let m = face.pointee.size.pointee.metrics
        let ascent = (Int(m.ascender) + 63) / 64
        let descent = (-Int(m.descender) + 63) / 64
        return (ascent, descent)
    }

    /// Advance width of `text` in pixels (simple layout: no kerning, one line).
    package func measure(_ text: String, size: Double) -> Double {
        Font.lock.lock(); defer { Font.lock.unlock() }
        let px = Font.pixels(size)
        var pen = 0
        for s in text.unicodeScalars { pen += glyphLocked(s.value, px).advance }
        return Double(pen) / 64
    }

    /// Renders `text` into a coverage mask whose height is the face's line
    /// box, with the baseline `baseline` rows from the top.
    package func render(_ text: String, size: Double) -> TextImage {
        let (ascent, descent) = lineMetrics(size: size)
        Font.lock.lock(); defer { Font.lock.unlock() }
        let px = Font.pixels(size)
        var placed: [(Glyph, Int)] = []
        var pen = 0, minX = 0, maxX = 0
        for s in text.unicodeScalars {
            let g = glyphLocked(s.value, px)
            let x = pen / 64 + g.left
            placed.append((g, x))
            minX = min(minX, x)
            maxX = max(maxX, x + g.width)
            pen += g.advance
        }
        maxX = max(maxX, (pen + 63) / 64)
        let width = maxX - minX, height = ascent + descent
        var mask = AlphaMask(width: width, height: height)
        for (g, gx) in placed where g.width > 0 {
            for y in 0..<g.rows {
                let my = ascent - g.top + y
                guard my >= 0, my < height else { continue }
                for x in 0..<g.width {
                    let v = g.bitmap[y * g.width + x]
                    if v == 0 { continue }
                    let i = my * width + (gx - minX + x)
                    // Glyphs may overlap slightly; keep the stronger coverage.
                    if mask.values[i] < v { mask.values[i] = v }
                }
            }
        }
        return TextImage(mask: mask, baseline: ascent, originX: -minX, advance: Double(pen) / 64)
    }
}

/// Rendered text: a coverage mask plus where its baseline and pen origin lie.
package struct TextImage: Sendable {
    package var mask: AlphaMask
    /// Rows from the mask's top down to the baseline.
    package var baseline: Int
    /// Columns from the mask's left edge to the pen's starting position.
    package var originX: Int
    /// Pen advance, i.e. the layout width in pixels.
    package var advance: Double
}
