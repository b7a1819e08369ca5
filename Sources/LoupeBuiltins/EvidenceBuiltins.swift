import LoupeAnalysis
import LoupeLanguage

func registerEvidence(_ r: Registry) {
    r.add(BuiltinFunction("compare", [
        Parameter(nil, name: "a", type: "[Double]", doc: "one figure per seed for the first condition"),
        Parameter(nil, name: "b", type: "[Double]", doc: "the second condition's figures for the same seeds, in the same order"),
        Parameter("names", type: "[String]", default: .array([.string("a"), .string("b")]), doc: "what the two conditions are"),
        Parameter("scale", type: "Double", default: .double(100), doc: "how differences are stated: 100 gives points of a fraction, 1 raw units"),
    ], returns: "String", doc: "Whether `a` differs from `b` across seeds: a paired t-test at p < 0.05, stated as a sentence "
       + "with the mean difference, or \"not resolved\" with the test's n and p. For figures of your own loops, e.g. "
       + "`compare(latentsPerSeed, neuronsPerSeed, names: [\"latents\", \"neurons\"])`.") { ctx in
        let a = try ctx.numbers("a"), b = try ctx.numbers("b")
        guard a.count == b.count, a.count >= 2 else {
            throw ctx.valueError("b", "give one figure per seed for each, the same seeds in the same order, at least two "
                                 + "(got \(a.count) and \(b.count))")
        }
        guard (a + b).allSatisfy(\.isFinite) else { throw ctx.valueError("a", "every figure must be a finite number") }
        let names = try ctx.strings("names")
        guard names.count == 2 else { throw ctx.valueError("names", "give two names, one per condition") }
        let scale = try ctx.double("scale")
        guard scale.isFinite, scale > 0 else { throw ctx.valueError("scale", "give a positive scale, e.g. 100 or 1") }
        let comparison = Comparison(Measured(name: names[0], estimate: Intervals.acrossRuns(a), perSeed: a),
                                    Measured(name: names[1], estimate: Intervals.acrossRuns(b), perSeed: b))
        return .string(comparison.sentence(scale: scale, unit: scale == 100 ? "points" : "units"))
    })
}
