import Foundation

/// Multinomial logistic regression on fixed features (CLIP image
/// embeddings): full-batch Adam on the mean cross-entropy with a small L2
/// penalty. Deterministic: weights start at zero.
package struct LinearProbe: Sendable {
    package let classes: [String]
    package let dim: Int
    /// [classes, dim] row-major, and one bias per class.
    package private(set) var weights: [Float]
    package private(set) var bias: [Float]

    /// `shouldStop` is asked before each step; training ends there when it says so.
    package init(features: [Float], dim: Int, labels: [Int], classes: [String], steps: Int = 300,
                learningRate: Float = 0.05, l2: Float = 1e-4, shouldStop: () -> Bool = { false }) {
        self.classes = classes
        self.dim = dim
        let c = classes.count, n = labels.count
        weights = [Float](repeating: 0, count: c * dim)
        bias = [Float](repeating: 0, count: c)
        var m = [Float](repeating: 0, count: c * (dim + 1)), v = m
        let (beta1, beta2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-8)
        for step in 1...max(1, steps) {
            if step > 1 && shouldStop() { break }
            var grad = [Float](repeating: 0, count: c * (dim + 1))
            for i in 0..<n {
                let p = probabilities(features, row: i)
                for k in 0..<c {
                    let g = (p[k] - (labels[i] == k ? 1 : 0)) / Float(n)
                    for j in 0..<dim { grad[k * (dim + 1) + j] += g * features[i * dim + j] }
                    grad[k * (dim + 1) + dim] += g
                }
            }
            for k in 0..<c { for j in 0..<dim { grad[k * (dim + 1) + j] += l2 * weights[k * dim + j] } }
            let correction1 = 1 - pow(beta1, Float(step)), correction2 = 1 - pow(beta2, Float(step))
            for idx in grad.indices {
                m[idx] = beta1 * m[idx] + (1 - beta1) * grad[idx]
                v[idx] = beta2 * v[idx] + (1 - beta2) * grad[idx] * grad[idx]
                let update = learningRate * (m[idx] / correction1) / ((v[idx] / correction2).squareRoot() + eps)
                let k = idx / (dim + 1), j = idx % (dim + 1)
                if j == dim { bias[k] -= update } else { weights[k * dim + j] -= update }
            }
        }
    }

    /// Class probabilities for one row of a [rows, dim] feature matrix.
    package func probabilities(_ features: [Float], row: Int) -> [Float] {
        var logits = (0..<classes.count).map { k -> Float in
            var s = bias[k]
            for j in 0..<dim { s += weights[k * dim + j] * features[row * dim + j] }
            return s
        }
        let peak = logits.max() ?? 0
        var total: Float = 0
        for k in logits.indices { logits[k] = exp(logits[k] - peak); total += logits[k] }
        return logits.map { $0 / total }
    }

    package func predict(_ features: [Float], row: Int) -> Int {
        let p = probabilities(features, row: row)
        return p.indices.max { p[$0] < p[$1] }!
    }

    /// A probe for labels given by name: the classes are the distinct
    /// labels, sorted. Nil when the labels take fewer than two values.
    package static func fit(features: [Float], dim: Int, labels: [String], steps: Int, shouldStop: () -> Bool = { false })
        -> (probe: LinearProbe, trainingAccuracy: Double)? {
        let classes = Array(Set(labels)).sorted()
        guard classes.count >= 2 else { return nil }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let probe = LinearProbe(features: features, dim: dim, labels: labels.map { index[$0]! }, classes: classes,
                                steps: max(1, steps), shouldStop: shouldStop)
        return (probe, probe.accuracy(features, truth: labels))
    }

    /// The class name predicted for each row of a [rows, dim] feature matrix.
    package func predictions(_ features: [Float]) -> [String] {
        (0..<(features.count / max(1, dim))).map { classes[predict(features, row: $0)] }
    }

    /// The fraction of rows whose predicted class is `truth[row]`.
    package func accuracy(_ features: [Float], truth: [String]) -> Double {
        GroupAccuracy(correct: zip(predictions(features), truth).map { $0 == $1 }, group: truth.map { _ in "" }).overall
    }

    /// Accuracy per group of rows (`groups[row]` names a row's group) against `truth`.
    package func groupAccuracy(_ features: [Float], truth: [String], groups: [String]) -> GroupAccuracy {
        GroupAccuracy(correct: zip(predictions(features), truth).map { $0 == $1 }, group: groups)
    }
}

/// Accuracy per group (a combination of attribute values) and the worst
/// group's, each with its count, so an interval can go with every figure.
package struct GroupAccuracy: Sendable {
    package struct Group: Sendable {
        package let name: String
        package let count: Int
        package let correct: Int
        package var accuracy: Double { count == 0 ? .nan : Double(correct) / Double(count) }
        /// Wilson's 95% interval over the group's images.
        package var interval: Estimate { Intervals.wilson(successes: correct, of: count) }
    }
    /// Sorted by name.
    package let groups: [Group]
    package let correct: Int
    package let count: Int
    package var overall: Double { Double(correct) / Double(max(1, count)) }
    package var overallInterval: Estimate { Intervals.wilson(successes: correct, of: count) }
    package var worst: Double { worstGroup?.accuracy ?? 0 }
    /// The group with the lowest accuracy (the first such by name).
    package var worstGroup: Group? { groups.min { $0.accuracy < $1.accuracy } }

    /// `correct[i]` says whether image i was classified right; `group[i]` names its group.
    package init(correct: [Bool], group: [String]) {
        var tally: [String: (Int, Int)] = [:]
        for (ok, g) in zip(correct, group) {
            let t = tally[g] ?? (0, 0)
            tally[g] = (t.0 + (ok ? 1 : 0), t.1 + 1)
        }
        groups = tally.keys.sorted().map { Group(name: $0, count: tally[$0]!.1, correct: tally[$0]!.0) }
        self.correct = correct.filter { $0 }.count
        count = correct.count
    }
}
