/// The PNGs an HTML figure inlines (`src="data:image/png;base64,..."`),
/// taken out of the HTML so the pictures compare by pixels and the rest as
/// text.
enum InlinedPictures {
    static let marker = "data:image/png;base64,"

    /// The HTML with each picture replaced by a placeholder, and the pictures' base64 in order.
    static func extract(_ html: String) -> (text: String, pictures: [String]) {
        var text = "", pictures: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: marker) {
            text += rest[..<start.lowerBound] + "[picture]"
            let body = rest[start.upperBound...]
            let end = body.firstIndex { $0 == "\"" || $0 == "'" || $0 == ")" } ?? body.endIndex
            pictures.append(String(body[..<end]))
            rest = body[end...]
        }
        return (text + rest, pictures)
    }
}
