import Foundation
import LoupeSAE

/// How well single units (SAE latents or residual neurons) recover the
/// toy world's known attribute values ("shape=star", "colour=red", ...),
/// where the truth of every image is known.
///
/// A unit detects a value when its image-level activation passes a
/// threshold (or, for neurons, which can encode a value by going low, when
/// it falls below one). Which unit and threshold is chosen on one half of
/// the images (the even-numbered ones) and scored on the other half, so the
/// score is not the best of many noisy ones. Two readings:
/// - best unit per value: each value's own best detector (units may repeat);
/// - one-to-one: a Hungarian matching of values to distinct units that
///   maximises the summed F1 on the choosing half, as a dictionary that
///   dedicates one unit per concept would be scored.
package struct GroundTruthRecovery: Sendable {
    package struct Detection: Sendable {
        package let value: String
        /// Images of the scoring half that have the value.
        package let positives: Int
        package let unit: Int
        package let threshold: Float
        /// +1: fires above the threshold; -1: falls below it (neurons only).
        package let sign: Float
        package let precision: Estimate
        package let recall: Estimate
        package let f1: Estimate
    }

    package let values: [String]
    package let best: [Detection]
    package let matched: [Detection]
    /// Images in the half that scores.
    package let scoringImages: Int
    /// Every unit's F1 on the scoring half for the value it detects best on
    /// the choosing half (0 for a unit that detects nothing): what a score
    /// of units such as MS can be checked against.
    package let unitF1: [Double]
    /// Each unit's best-matched value on the choosing half, with its F1
    /// there (nil for a unit that detects nothing): what a unit's name can
    /// be checked against, on images the name was not chosen on.
    package let unitValues: [(value: String, f1: Double)?]

    package static let recoveredF1 = 0.8

    /// Mean F1 with a bootstrap interval over the values.
    package var meanBestF1: Estimate { Intervals.bootstrapMean(best.map(\.f1.value), unit: "values") }
    package var meanMatchedF1: Estimate { Intervals.bootstrapMean(matched.map(\.f1.value), unit: "values") }
    /// Values whose matched unit reaches F1 ≥ 0.8 on the scoring half.
    package var recovered: Int { matched.filter { $0.f1.value >= Self.recoveredF1 }.count }

    /// `activations` is [images, units] row-major; `labels[i]` the values
    /// image i has. Values present in fewer than `minimumImages` images of
    /// either half are left out: a detector cannot be judged on a handful.
    /// `signed` lets a unit detect a value by going low (for neurons).
    package static func measure(activations: [Float], images n: Int, units k: Int, labels: [[String]], signed: Bool,
                                minimumImages: Int = 5, seed: UInt64 = 0) throws -> GroundTruthRecovery {
        guard k > 0, n == labels.count, activations.count == n * k else { throw AnalysisError.tooFewImages(n) }
        let choose = stride(from: 0, to: n, by: 2).map { $0 }, score = stride(from: 1, to: n, by: 2).map { $0 }
        guard choose.count >= 2 * minimumImages, score.count >= 2 * minimumImages else { throw AnalysisError.tooFewImages(n) }
        let sets = labels.map(Set.init)
        let values = Array(Set(labels.joined())).sorted().filter { v in
            choose.filter { sets[$0].contains(v) }.count >= minimumImages && score.filter { sets[$0].contains(v) }.count >= minimumImages
        }
        guard !values.isEmpty else { throw AnalysisError.tooFewImages(n) }
        let signs: [Float] = signed ? [1, -1] : [1]

        // Each unit's choosing-half activations, sorted once (high first), for every value's threshold sweep.
        let order: [[Int32]] = (0..<k).map { j in
            choose.sorted { activations[$0 * k + j] > activations[$1 * k + j] }.map { Int32($0) }
        }
        // best[v][j]: the best F1 on the choosing half of unit j for value v, with its threshold and sign.
        var chosen = [[(f1: Double, threshold: Float, sign: Float)]](repeating: [], count: values.count)
        for (vi, v) in values.enumerated() {
            let total = choose.filter { sets[$0].contains(v) }.count
            chosen[vi] = (0..<k).map { j in
                var bestHere = (f1: 0.0, threshold: Float.infinity, sign: Float(1))
                for sign in signs {
                    // Walking the order from the top (or the bottom, for sign -1) predicts positive for a growing prefix.
                    let walk = sign > 0 ? order[j] : order[j].reversed()
                    var tp = 0
                    for (predicted, image) in walk.enumerated() {
                        if sets[Int(image)].contains(v) { tp += 1 }
                        let a = activations[Int(image) * k + j]
                        // Cut only between distinct values, and never on a unit that is silent there.
                        if predicted + 1 < walk.count, activations[Int(walk[predicted + 1]) * k + j] == a { continue }
                        if sign > 0 && a <= 0 && !signed { break }
                        let f1 = 2 * Double(tp) / Double(predicted + 1 + total)
                        if f1 > bestHere.f1 { bestHere = (f1, a, sign) }
                    }
                }
                return bestHere
            }
        }
        func detection(_ vi: Int, unit j: Int, seed offset: UInt64) -> Detection {
            let c = chosen[vi][j], v = values[vi]
            var tp = 0, fp = 0, fn = 0
            var outcomes: [(predicted: Bool, actual: Bool)] = []
            for i in score {
                let predicted = c.threshold.isFinite && c.sign * activations[i * k + j] >= c.sign * c.threshold
                let actual = sets[i].contains(v)
                outcomes.append((predicted, actual))
                if predicted && actual { tp += 1 } else if predicted { fp += 1 } else if actual { fn += 1 }
            }
            return Detection(value: v, positives: tp + fn, unit: j, threshold: c.threshold, sign: c.sign,
                             precision: Intervals.wilson(successes: tp, of: tp + fp), recall: Intervals.wilson(successes: tp, of: tp + fn),
                             f1: bootstrapF1(outcomes, seed: seed &+ offset))
        }
        let best = values.indices.map { vi -> Detection in
            let j = chosen[vi].indices.max { (chosen[vi][$0].f1, -$0) < (chosen[vi][$1].f1, -$1) }!
            return detection(vi, unit: j, seed: UInt64(vi))
        }
        let assignment = Hungarian.maximise(values.indices.map { vi in chosen[vi].map(\.f1) })
        let matched = values.indices.map { detection($0, unit: assignment[$0], seed: UInt64(values.count + $0)) }
        let unitValues = (0..<k).map { j -> (value: String, f1: Double)? in
            let vi = values.indices.max { chosen[$0][j].f1 < chosen[$1][j].f1 }!
            return chosen[vi][j].f1 > 0 ? (values[vi], chosen[vi][j].f1) : nil
        }
        let unitF1 = (0..<k).map { j -> Double in
            let vi = values.indices.max { chosen[$0][j].f1 < chosen[$1][j].f1 }!
            guard chosen[vi][j].f1 > 0 else { return 0 }
            let c = chosen[vi][j]
            var tp = 0, fp = 0, fn = 0
            for i in score {
                let predicted = c.sign * activations[i * k + j] >= c.sign * c.threshold, actual = sets[i].contains(values[vi])
                if predicted && actual { tp += 1 } else if predicted { fp += 1 } else if actual { fn += 1 }
            }
            return tp == 0 ? 0 : 2 * Double(tp) / Double(2 * tp + fp + fn)
        }
        return GroundTruthRecovery(values: values, best: best, matched: matched, scoringImages: score.count, unitF1: unitF1,
                                   unitValues: unitValues)
    }

    /// F1 over the scoring images with a percentile-bootstrap interval over them.
    static func bootstrapF1(_ outcomes: [(predicted: Bool, actual: Bool)], resamples: Int = 1000, seed: UInt64) -> Estimate {
        func f1(_ o: [(predicted: Bool, actual: Bool)]) -> Double {
            var tp = 0, fp = 0, fn = 0
            for x in o { if x.predicted && x.actual { tp += 1 } else if x.predicted { fp += 1 } else if x.actual { fn += 1 } }
            return tp == 0 ? 0 : 2 * Double(tp) / Double(2 * tp + fp + fn)
        }
        var random = SeededRandom(seed: seed)
        var values = (0..<resamples).map { _ in f1((0..<outcomes.count).map { _ in outcomes[random.nextIndex(outcomes.count)] }) }
        values.sort()
        return Estimate(value: f1(outcomes), low: values[Int(0.025 * Double(resamples - 1))], high: values[Int(0.975 * Double(resamples - 1))],
                        n: outcomes.count, unit: "images")
    }
}

/// The assignment problem (Kuhn–Munkres with potentials, O(rows² · columns)):
/// each row gets a distinct column, maximising the summed score. Rows must
/// not outnumber columns.
package enum Hungarian {
    package static func maximise(_ score: [[Double]]) -> [Int] {
        let n = score.count
        guard n > 0 else { return [] }
        let m = score[0].count
        precondition(m >= n && score.allSatisfy { $0.count == m }, "a rectangular matrix with no more rows than columns")
        let top = score.joined().max() ?? 0
        // Minimise cost = top - score; 1-based with a virtual row and column 0.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: m + 1)
        var owner = [Int](repeating: 0, count: m + 1), way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            owner[0] = i
            var j0 = 0
            var minimum = [Double](repeating: .infinity, count: m + 1), used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = owner[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...m where !used[j] {
                    let cost = (top - score[i0 - 1][j - 1]) - u[i0] - v[j]
                    if cost < minimum[j] { minimum[j] = cost; way[j] = j0 }
                    if minimum[j] < delta { delta = minimum[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[owner[j]] += delta; v[j] -= delta } else { minimum[j] -= delta }
                }
                j0 = j1
            } while owner[j0] != 0
            repeat {
                let j1 = way[j0]
                owner[j0] = owner[j1]
                j0 = j1
            } while j0 != 0
        }
        var assignment = [Int](repeating: 0, count: n)
        for j in 1...m where owner[j] != 0 { assignment[owner[j] - 1] = j - 1 }
        return assignment
    }
}

/// Spearman's rank correlation (average ranks for ties), with a percentile
/// bootstrap interval over the pairs.
package enum RankCorrelation {
    package static func spearman(_ x: [Double], _ y: [Double], resamples: Int = 1000, seed: UInt64 = 0, unit: String = "units") -> Estimate {
        precondition(x.count == y.count, "one y per x")
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count)
            var start = 0
            while start < order.count {
                var end = start
                while end + 1 < order.count && v[order[end + 1]] == v[order[start]] { end += 1 }
                for i in start...end { r[order[i]] = Double(start + end) / 2 + 1 }
                start = end + 1
            }
            return r
        }
        func pearson(_ a: [Double], _ b: [Double]) -> Double {
            let n = Double(a.count), ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for (p, q) in zip(a, b) { sab += (p - ma) * (q - mb); saa += (p - ma) * (p - ma); sbb += (q - mb) * (q - mb) }
            return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : .nan
        }
        func rho(_ idx: [Int]) -> Double { pearson(ranks(idx.map { x[$0] }), ranks(idx.map { y[$0] })) }
        guard x.count >= 3 else { return Estimate(value: .nan, low: .nan, high: .nan, n: x.count, unit: unit) }
        var random = SeededRandom(seed: seed)
        var draws = (0..<resamples).map { _ in rho((0..<x.count).map { _ in random.nextIndex(x.count) }) }.filter(\.isFinite)
        draws.sort()
        let value = rho(Array(x.indices))
        guard !draws.isEmpty else { return Estimate(value: value, low: .nan, high: .nan, n: x.count, unit: unit) }
        return Estimate(value: value, low: draws[Int(0.025 * Double(draws.count - 1))], high: draws[Int(0.975 * Double(draws.count - 1))],
                        n: x.count, unit: unit)
    }
}
