/// Image similarity from known attributes instead of an encoder: the
/// toy world's ground truth as a human-like judge for the monosemanticity
/// score.
///
/// Each image is described by a set of labels ("shape=star", "colour=red",
/// ...) and embedded as the one-hot vector of its labels, scaled to unit
/// length. The similarity of two images is then the cosine of their one-hot
/// vectors, |A ∩ B| / sqrt(|A| |B|): when both have the same number of
/// labels, the fraction of labels they share. Being a cosine of unit rows,
/// it goes through `Monosemanticity.scores` like any encoder's embeddings.
package enum AttributeSimilarity {
    /// Unit-length one-hot embeddings [images, distinct labels] and the
    /// labels in column order (sorted). An image without labels gets a zero
    /// row: similar to nothing, itself included.
    package static func embeddings(labels: [[String]]) -> (embeddings: [Float], dim: Int, columns: [String]) {
        let columns = Array(Set(labels.joined())).sorted()
        let index = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })
        let d = max(1, columns.count)
        var out = [Float](repeating: 0, count: labels.count * d)
        for (i, set) in labels.enumerated() {
            let distinct = Set(set)
            guard !distinct.isEmpty else { continue }
            let value = Float(1 / Double(distinct.count).squareRoot())
            for label in distinct { out[i * d + index[label]!] = value }
        }
        return (out, d, columns)
    }
}
