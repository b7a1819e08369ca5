import LoupeAnalysis
import Testing

@Suite struct ProbeTests {
    @Test func separatesLinearlySeparableClasses() {
        // Three classes along three axes, with a little spread.
        var features: [Float] = [], labels: [Int] = []
        for i in 0..<60 {
            let c = i % 3
            var row = [Float](repeating: Float(i % 7) * 0.01, count: 4)
            row[c] += 1
            features += row
            labels.append(c)
        }
        let probe = LinearProbe(features: features, dim: 4, labels: labels, classes: ["a", "b", "c"], steps: 200)
        let correct = (0..<60).map { probe.predict(features, row: $0) == labels[$0] }
        #expect(correct.allSatisfy { $0 })
    }

    @Test func worstGroupIsTheLowestGroupAccuracy() {
        let g = GroupAccuracy(correct: [true, true, false, true, false, false], group: ["x", "x", "y", "y", "z", "z"])
        #expect(g.groups.map(\.name) == ["x", "y", "z"])
        #expect(g.groups.map(\.accuracy) == [1, 0.5, 0])
        #expect(g.worst == 0)
        #expect(g.worstGroup?.name == "z" && g.worstGroup?.count == 2)
        #expect(abs(g.overall - 0.5) < 1e-12)
    }

    /// Labels by name: classes sorted, training accuracy measured, groups
    /// scored against the truth; one distinct label is no probe at all.
    @Test func fitsNamedLabelsAndScoresGroups() throws {
        let names = ["dog", "cat"]
        var features: [Float] = [], labels: [String] = [], groups: [String] = []
        for i in 0..<40 {
            let c = i % 2
            features += [c == 0 ? 1 : 0, c == 1 ? 1 : 0, Float(i % 5) * 0.01]
            labels.append(names[c])
            groups.append(i < 20 ? "first" : "second")
        }
        let fitted = try #require(LinearProbe.fit(features: features, dim: 3, labels: labels, steps: 200))
        #expect(fitted.probe.classes == ["cat", "dog"])
        #expect(fitted.trainingAccuracy == 1)
        #expect(fitted.probe.predictions(features) == labels)
        // Scored against flipped truth in the second half: that group is all wrong.
        let truth = labels.enumerated().map { $0.offset < 20 ? $0.element : ($0.element == "cat" ? "dog" : "cat") }
        let scored = fitted.probe.groupAccuracy(features, truth: truth, groups: groups)
        #expect(scored.groups.map(\.accuracy) == [1, 0])
        #expect(scored.worstGroup?.name == "second")
        #expect(LinearProbe.fit(features: [1, 0, 0], dim: 3, labels: ["cat"], steps: 10) == nil)
    }
}
