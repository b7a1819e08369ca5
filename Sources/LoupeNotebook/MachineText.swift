import Foundation

/// Words in an output that describe the machine rather than the result: a
/// CLIP's summary says which OpenBLAS core and how many threads computed
/// ("OpenBLAS Cooperlake (the library chose Prescott), 2 threads"). Another
/// machine rightly says otherwise, and the provenance reports it, so these
/// words are not drift.
enum MachineText {
    private static let blas = try! NSRegularExpression(
        pattern: #"OpenBLAS [A-Za-z0-9_]+( \(the library chose [A-Za-z0-9_]+\))?, [0-9]+ threads?"#)

    static func normalised(_ text: String) -> String {
        guard text.contains("OpenBLAS ") else { return text }
        return blas.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text),
                                             withTemplate: "OpenBLAS [core], [threads]")
    }
}
