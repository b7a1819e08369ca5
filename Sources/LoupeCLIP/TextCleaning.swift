import Foundation

/// The text clean-up CLIP's tokenizer applies before splitting words:
/// a subset of ftfy's `fix_text` (control characters, Latin ligatures,
/// full-width forms, curly quotes, NFC), HTML entities unescaped twice,
/// whitespace collapsed, lower case.
///
/// Deliberately not reproduced from ftfy: repair of mojibake (text that was
/// decoded with the wrong encoding, e.g. "Ã©" for "é"), terminal escape
/// removal and C1-control repair. Such input tokenizes differently from
/// open_clip; clean, well-formed text gives identical ids.
enum TextCleaning {
    static func clean(_ text: String) -> String {
        var s = fixText(text)
        s = HTMLEntities.unescape(HTMLEntities.unescape(s))
        s = collapseWhitespace(s)
        return s.lowercased()
    }

    /// Python's str.isspace(): Unicode White_Space plus the ASCII separators 0x1C–0x1F.
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || (0x1C...0x1F).contains(u.value)
    }

    static func collapseWhitespace(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for u in s.unicodeScalars {
            if isSpace(u) { pendingSpace = !out.isEmpty; continue }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(u)
        }
        return String(out)
    }

    static let ligatures: [UInt32: String] = [
        0x132: "IJ", 0x133: "ij", 0x149: "\u{2BC}n", 0x1F1: "DZ", 0x1F2: "Dz", 0x1F3: "dz",
        0x1C4: "D\u{17D}", 0x1C5: "D\u{17E}", 0x1C6: "d\u{17E}", 0x1C7: "LJ", 0x1C8: "Lj", 0x1C9: "lj",
        0x1CA: "NJ", 0x1CB: "Nj", 0x1CC: "nj", 0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi",
        0xFB04: "ffl", 0xFB05: "\u{17F}t", 0xFB06: "st",
    ]

    static func isControl(_ v: UInt32) -> Bool {
        (v < 0x09) || v == 0x0B || (0x0E..<0x20).contains(v) || v == 0x7F || (0x206A..<0x2070).contains(v)
            || v == 0xFEFF || (0xFFF9..<0xFFFD).contains(v)
    }

    /// The ftfy steps listed above, in ftfy's order.
    static func fixText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for u in text.unicodeScalars {
            let v = u.value
            if isControl(v) { continue }
            if let lig = ligatures[v] { out.append(contentsOf: lig.unicodeScalars); continue }
            if v == 0x3000 { out.append(" "); continue }
            if (0xFF01..<0xFFF0).contains(v) {
                out.append(contentsOf: String(Character(u)).precomposedStringWithCompatibilityMapping.unicodeScalars)
                continue
            }
            if v == 0x2BC || (0x2018...0x201B).contains(v) { out.append("'"); continue }
            if (0x201C...0x201F).contains(v) { out.append("\""); continue }
            out.append(u)
        }
        // Windows and old-Mac line breaks become "\n" (ftfy fix_line_breaks);
        // whitespace is collapsed later anyway, so only NFC remains.
        return String(out).precomposedStringWithCanonicalMapping
    }
}

/// Python's html.unescape for numeric references and the common named ones.
enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "reg": "®",
        "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“",
        "rdquo": "”", "laquo": "«", "raquo": "»", "deg": "°", "eacute": "é", "egrave": "è", "agrave": "à",
        "aacute": "á", "ccedil": "ç", "uuml": "ü", "ouml": "ö", "auml": "ä", "szlig": "ß", "euro": "€",
        "pound": "£", "yen": "¥", "cent": "¢", "times": "×", "divide": "÷", "middot": "·", "bull": "•",
    ]

    /// Names html.unescape also resolves without a terminating ';'.
    static let legacy: [String: String] = [
        "amp": "&", "AMP": "&", "lt": "<", "LT": "<", "gt": ">", "GT": ">", "quot": "\"", "QUOT": "\"",
        "nbsp": "\u{A0}", "copy": "©", "COPY": "©", "reg": "®", "REG": "®", "not": "¬", "deg": "°",
    ]

    /// Windows-1252 meanings that html.unescape gives to references 0x80–0x9F.
    static let cp1252: [UInt32: UInt32] = [
        0x80: 0x20AC, 0x82: 0x201A, 0x83: 0x0192, 0x84: 0x201E, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
        0x88: 0x02C6, 0x89: 0x2030, 0x8A: 0x0160, 0x8B: 0x2039, 0x8C: 0x0152, 0x8E: 0x017D, 0x91: 0x2018,
        0x92: 0x2019, 0x93: 0x201C, 0x94: 0x201D, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02DC,
        0x99: 0x2122, 0x9A: 0x0161, 0x9B: 0x203A, 0x9C: 0x0153, 0x9E: 0x017E, 0x9F: 0x0178,
    ]

    static func unescape(_ s: String) -> String {
        guard s.contains("&") else { return s }
        let u = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < u.count {
            guard u[i] == "&", let (text, next) = reference(u, at: i) else { out.append(u[i]); i += 1; continue }
            out.append(contentsOf: text.unicodeScalars)
            i = next
        }
        return String(out)
    }

    /// The replacement for a reference starting at `start` ('&'), and the index after it.
    static func reference(_ u: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var j = start + 1
        if j < u.count, u[j] == "#" {
            j += 1
            var hex = false
            if j < u.count, u[j] == "x" || u[j] == "X" { hex = true; j += 1 }
            let digitsStart = j
            while j < u.count, (hex ? u[j].properties.isASCIIHexDigit : ("0"..."9").contains(u[j])) { j += 1 }
            guard j > digitsStart else { return nil }
            let digits = String(String.UnicodeScalarView(u[digitsStart..<j]))
            if j < u.count, u[j] == ";" { j += 1 }
            let value = UInt32(digits.prefix(8), radix: hex ? 16 : 10).map { digits.count > 8 ? 0x110000 : $0 } ?? 0x110000
            if let mapped = cp1252[value] { return (String(Unicode.Scalar(mapped)!), j) }
            if value == 0 || value > 0x10FFFF || (0xD800...0xDFFF).contains(value) { return ("\u{FFFD}", j) }
            return (String(Unicode.Scalar(value).map(Character.init) ?? "\u{FFFD}"), j)
        }
        while j < u.count, u[j].properties.isAlphabetic || ("0"..."9").contains(u[j]) { j += 1 }
        let name = String(String.UnicodeScalarView(u[(start + 1)..<j]))
        if j < u.count, u[j] == ";", let text = named[name] { return (text, j + 1) }
        // HTML5 also accepts a few legacy names without ';', taking the
        // longest one that starts the run ("&ampx" is "&x").
        for length in stride(from: min(name.count, 4), through: 2, by: -1) {
            let prefix = String(name.prefix(length))
            if let text = legacy[prefix] { return (text, start + 1 + length) }
        }
        return nil
    }
}
