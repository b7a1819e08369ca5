import LoupeJSON

/// What happened on the way: every `every` steps (and at the last), the
/// training figures SAELens logs, and at each validation point the held-out
/// figures. It holds no timing, so a run resumed from a checkpoint has the
/// same history as one never stopped. Saved beside the SAE as
/// `training_history.json`.
package struct TrainingHistory: Sendable, Equatable {
    /// One training step's figures, after that step.
    package struct Point: Sendable, Equatable {
        package var step: Int
        /// The whole loss, and its parts (`mse` of the full reconstruction, in training units).
        package var loss: Double
        package var mse: Double
        package var auxiliary: Double
        package var l0: Double
        /// Latents dead by the training window's rule, after the step.
        package var deadFraction: Double
        package var learningRate: Double
        /// The gradient's global norm before clipping.
        package var gradientNorm: Double
    }

    /// The SAE as it stood at `step`, measured on held-out activations
    /// (input scale folded in, so in the activations' own units).
    package struct Validation: Sendable, Equatable {
        package var step: Int
        package var mse: Double
        package var explainedVariance: Double
        package var l0: Double
        /// Latents that fire on none of the held-out tokens.
        package var deadFraction: Double
    }

    package var every: Int
    package var points: [Point] = []
    package var validation: [Validation] = []

    package init(every: Int) { self.every = max(1, every) }

    /// Every `steps / 500` steps (at least 1): enough for a curve, a few
    /// hundred points however long the run.
    package static func defaultEvery(steps: Int) -> Int { max(1, steps / 500) }

    /// Whether `step` (counted from 1, after the step) is recorded.
    package func records(step: Int, of steps: Int) -> Bool { step % every == 0 || step == steps }

    static let format = "loupe-training-history"
    static let version = 1
    static let pointKeys = ["step", "loss", "mse", "auxiliary", "l0", "dead_fraction", "learning_rate", "gradient_norm"]
    static let validationKeys = ["step", "mse", "explained_variance", "l0", "dead_fraction"]

    /// Columns of numbers, compact and readable: `{"points": {"step": [...], "loss": [...]}, ...}`.
    package var json: JSON {
        func column<T>(_ rows: [T], _ value: (T) -> Double) -> JSON { .array(rows.map { .double(value($0)) }) }
        let p: [String: JSON] = [
            "step": .array(points.map { .int($0.step) }), "loss": column(points, \.loss), "mse": column(points, \.mse),
            "auxiliary": column(points, \.auxiliary), "l0": column(points, \.l0), "dead_fraction": column(points, \.deadFraction),
            "learning_rate": column(points, \.learningRate), "gradient_norm": column(points, \.gradientNorm),
        ]
        let v: [String: JSON] = [
            "step": .array(validation.map { .int($0.step) }), "mse": column(validation, \.mse),
            "explained_variance": column(validation, \.explainedVariance), "l0": column(validation, \.l0),
            "dead_fraction": column(validation, \.deadFraction),
        ]
        return ["format": .string(Self.format), "format_version": .int(Self.version), "every": .int(every),
                "points": .object(p), "validation": .object(v)]
    }

    /// Reads `json` as written by `json`; nil when it is not a history or its columns disagree.
    package init?(json: JSON) {
        guard json["format"]?.stringValue == Self.format, let version = json["format_version"]?.intValue, version <= Self.version,
              let every = json["every"]?.intValue, every >= 1,
              let p = Self.columns(json["points"], Self.pointKeys), let v = Self.columns(json["validation"], Self.validationKeys)
        else { return nil }
        self.every = every
        points = p.first!.indices.map { i in
            Point(step: Int(p[0][i]), loss: p[1][i], mse: p[2][i], auxiliary: p[3][i], l0: p[4][i], deadFraction: p[5][i],
                  learningRate: p[6][i], gradientNorm: p[7][i])
        }
        validation = v.first!.indices.map { i in
            Validation(step: Int(v[0][i]), mse: v[1][i], explainedVariance: v[2][i], l0: v[3][i], deadFraction: v[4][i])
        }
    }

    /// The named columns of `object`, all of one length and every step a whole number in range.
    private static func columns(_ object: JSON?, _ keys: [String]) -> [[Double]]? {
        var out: [[Double]] = []
        for key in keys {
            guard case .array(let items)? = object?[key] else { return nil }
            var values: [Double] = []
            for item in items {
                if let d = item.doubleValue { values.append(d) } else if let i = item.intValue { values.append(Double(i)) } else { return nil }
            }
            out.append(values)
        }
        guard let n = out.first?.count, out.allSatisfy({ $0.count == n }),
              out[0].allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e15 && $0 == $0.rounded() }) else { return nil }
        return out
    }
}
