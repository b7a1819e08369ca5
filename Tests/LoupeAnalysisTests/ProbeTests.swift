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
        #expect(abs(g.overall - 0.5) < 1e-12)
    }
}
