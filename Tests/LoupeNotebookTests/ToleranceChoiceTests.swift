import LoupeJSON
import LoupeNotebook
import Testing

@Suite struct ToleranceChoiceTests {
    func machine(_ cpu: String, _ core: String, _ threads: Int) -> JSON {
        ["machine": ["cpu": .string(cpu), "blas": ["core": .string(core), "threads": .int(threads)]]]
    }

    @Test func theSameMachineAndKernelsGetTheTightTolerances() {
        #expect(Tolerances.chosen(stored: machine("X", "Cooperlake", 2), now: machine("X", "Cooperlake", 2)).tolerances == .sameMachine)
    }

    @Test func anotherCoreOrCPUGetsTheAcrossMachinesOnes() {
        let now = machine("X", "Cooperlake", 2)
        for stored in [machine("X", "Haswell", 2), machine("Y", "Cooperlake", 2)] {
            #expect(Tolerances.chosen(stored: stored, now: now).tolerances == .acrossMachines)
        }
        #expect(Tolerances.chosen(stored: nil, now: now).tolerances == .acrossMachines)
        // Threads gave the same bits.
        #expect(Tolerances.chosen(stored: machine("X", "Cooperlake", 4), now: now).tolerances == .sameMachine)
    }

    @Test func onTheSameMachineEveryDifferenceCounts() {
        var comparison = OutputComparison(tolerances: .sameMachine)
        let stored: JSON = ["output_type": "execute_result", "metadata": [:], "data": ["text/plain": "p 0.6748538017272949"]]
        let fresh: JSON = ["output_type": "execute_result", "metadata": [:], "data": ["text/plain": "p 0.6748538017272950"]]
        #expect(comparison.compare(Notebook.Cell(index: 0, id: nil, source: "", outputs: [stored]), fresh: [fresh]).count == 1)
    }

    @Test func nearZeroTheAbsoluteToleranceDecides() {
        let t = Tolerances(relative: 1e-3, absolute: 1e-6, pixelLevel: 8, pixelShare: 0.001)
        #expect(t.agree(1e-9, 5e-7))
        #expect(!t.agree(0, 1e-3))
        #expect(!t.agree(.nan, .nan))
        #expect(t.agree(.infinity, .infinity))
    }
}
