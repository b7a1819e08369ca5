/// Escapes text for inclusion in HTML, in element content and in quoted
/// attributes alike: the one escaper every HTML output uses.
public func escapeHTML(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}
