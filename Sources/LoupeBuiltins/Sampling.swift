import LoupeLanguage
import LoupeToyWorld

/// `xs.sample(n, seed:)`: a seeded random subset, for random baselines
/// (ablating as many random latents as the contrast picked).
func registerSampling(_ r: Registry) {
    for typeName in ["Array", "Range"] {
        r.type(typeName).addMethod(BuiltinFunction("sample", [
            Parameter(nil, name: "count", type: "Int", doc: "how many elements to draw, without replacement"),
            Parameter("seed", type: "Int", default: .int(0), doc: "the same seed always gives the same sample"),
            Parameter("excluding", type: "Array", default: .null, doc: "elements never drawn, e.g. the latents already chosen"),
        ], returns: "Array", doc: "Distinct elements drawn at random (seeded, the same on every machine), in the order drawn: "
           + "`(0..<1024).sample(20, seed: 1, excluding: spurious)`.") { ctx in
            var pool: [Value]
            switch ctx.receiver {
            case .array(let items): pool = items
            case .range(let lo, let hi, let closed): pool = try Value.elements(lower: lo, upper: hi, closed: closed)
            default: pool = []
            }
            if ctx.has("excluding") {
                guard case .array(let excluded) = ctx.value("excluding") else {
                    throw ctx.typeError("excluding", expected: "an Array", got: ctx.value("excluding"))
                }
                pool.removeAll { p in excluded.contains { Value.equal($0, p) } }
            }
            let count = try ctx.int("count"), seed = try ctx.seed()
            guard count >= 0 else { throw ctx.valueError("count", "count must not be negative, got \(count)") }
            guard count <= pool.count else {
                throw ctx.valueError("count", "cannot draw \(count) distinct elements from \(pool.count)")
            }
            guard seed >= 0 else { throw ctx.valueError("seed", "seed must not be negative, got \(seed)") }
            // A partial Fisher-Yates shuffle: the first `count` places are the sample.
            var rng = SplitMix64(seed: UInt64(seed))
            for i in 0..<count { pool.swapAt(i, i + rng.below(pool.count - i)) }
            return .array(Array(pool.prefix(count)))
        })
    }
}
