import LoupeSAE
import LoupeTensor

/// How often a unit's label names what it detects, where the truth is
/// known (the toy world): precision at 1.
///
/// Units are matched to the attribute value they detect best, with its
/// threshold, on the even-numbered images (`GroundTruthRecovery`'s
/// choosing half); only units that detect a value with F1 ≥
/// `minimumF1` there are judged. Labels come from the odd-numbered images
/// alone, so the name is not chosen on the images the match was. A unit's
/// label is right when its first word is the value's word ("star" for
/// shape=star or second_shape=star).
package struct LabelPrecision: Sendable {
    /// Right labels among judged units, with a Wilson interval over units.
    package let precision: Estimate
    /// Units that detect a value well enough to be judged, and of those, how many got a label.
    package let matched: Int
    package let labelled: Int
    /// Each judged unit: its value on the even images, its label from the odd ones.
    package let judged: [(unit: Int, value: String, label: String)]

    package static let minimumF1 = 0.5

    /// `peaks` [images, units] of every image, `truth[i]` the values image i
    /// has, normalised image and word embeddings.
    package static func measure(peaks: [Float], units: Int, truth: [[String]], imageEmbeddings: Tensor, wordEmbeddings: Tensor,
                                vocabulary: [String], seed: UInt64 = 0) throws -> LabelPrecision {
        let n = truth.count
        let recovery = try GroundTruthRecovery.measure(activations: peaks, images: n, units: units, labels: truth, signed: false)
        let candidates = (0..<units).filter { (recovery.unitValues[$0]?.f1 ?? 0) >= minimumF1 }
        let odd = Array(stride(from: 1, to: n, by: 2))
        var oddPeaks = [Float](repeating: 0, count: odd.count * units)
        for (r, i) in odd.enumerated() { for u in 0..<units { oddPeaks[r * units + u] = peaks[i * units + u] } }
        let oddEmbeddings = Tensor(zeros: [odd.count, imageEmbeddings.shape[1]])
        let d = imageEmbeddings.shape[1]
        for (r, i) in odd.enumerated() { (oddEmbeddings.pointer + r * d).update(from: imageEmbeddings.pointer + i * d, count: d) }
        let labels = LatentLabeling.label(latents: candidates, peaks: LatentPeaks(dense: oddPeaks, images: odd.count, units: units),
                                          imageEmbeddings: oddEmbeddings, wordEmbeddings: wordEmbeddings, vocabulary: vocabulary,
                                          top: 1, seed: seed)
        var judged: [(unit: Int, value: String, label: String)] = []
        for (unit, label) in zip(candidates, labels) {
            guard let label, let value = recovery.unitValues[unit]?.value else { continue }
            judged.append((unit, value, label.label))
        }
        let right = judged.filter { word(of: $0.value) == $0.label }.count
        return LabelPrecision(precision: Intervals.wilson(successes: right, of: judged.count, unit: "units"),
                              matched: candidates.count, labelled: judged.count, judged: judged)
    }

    /// The word of an attribute value: what follows "=".
    package static func word(of value: String) -> String {
        value.split(separator: "=", maxSplits: 1).last.map(String.init) ?? value
    }

    /// Image-level peaks of `count` random unit directions of the residual
    /// stream ([images, count]): max over the tokens of the projection,
    /// floored at zero, so a direction "fires" where it points positive. The
    /// baseline a labelling method must beat.
    package static func randomDirectionPeaks(tokens perImage: Tensor, count: Int, seed: UInt64) -> [Float] {
        let (n, t, d) = (perImage.shape[0], perImage.shape[1], perImage.shape[2])
        var random = SeededRandom(seed: seed)
        let directions = Tensor(zeros: [count, d])
        for k in 0..<count {
            var norm: Float = 0
            for j in 0..<d { let x = Float(random.nextNormal()); directions.pointer[k * d + j] = x; norm += x * x }
            let inv = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<d { directions.pointer[k * d + j] *= inv }
        }
        let projections = perImage.reshaped([n * t, d]).matmul(directions, transposeOther: true)
        var out = [Float](repeating: 0, count: n * count)
        for row in 0..<(n * t) {
            let base = (row / t) * count
            for k in 0..<count { out[base + k] = max(out[base + k], projections.pointer[row * count + k]) }
        }
        return out
    }
}
