/// Which latents count as dead, counted as SAELens's trainer counts them
/// (`n_forward_passes_since_fired`): per latent, the training steps since it
/// last fired, that is since it had a non-zero code on any token of a batch.
/// Each step adds one to every latent and sets those that fired back to 0.
/// A latent is dead while its count is greater than the window, so with
/// window W a latent that never fires is first dead on step W + 2. The mask
/// a step uses is the one left by the steps before it.
package struct DeadLatentCounter: Sendable {
    /// The window, in training steps (SAELens's `dead_feature_window`).
    package let windowSteps: Int
    /// Steps since each latent last fired, as SAELens keeps them (Float,
    /// exact up to 2^24 steps, and past that still above any window).
    package private(set) var stepsSinceFired: [Float]

    package init(latents: Int, windowSteps: Int) {
        self.windowSteps = windowSteps
        stepsSinceFired = [Float](repeating: 0, count: latents)
    }

    /// Counters as saved in a checkpoint (or set up by a test).
    package init(stepsSinceFired: [Float], windowSteps: Int) {
        self.windowSteps = windowSteps
        self.stepsSinceFired = stepsSinceFired
    }

    package func isDead(_ latent: Int) -> Bool { stepsSinceFired[latent] > Float(windowSteps) }

    /// The dead latents, ascending.
    package var dead: [Int32] {
        var out: [Int32] = []
        for j in stepsSinceFired.indices where isDead(j) { out.append(Int32(j)) }
        return out
    }

    /// The latents that will be dead after one more step unless they fire
    /// in it: dictionary_learning adds a batch's tokens before it asks.
    package var deadIfSilent: [Int32] {
        var out: [Int32] = []
        for j in stepsSinceFired.indices where stepsSinceFired[j] + 1 > Float(windowSteps) { out.append(Int32(j)) }
        return out
    }

    package var deadCount: Int { stepsSinceFired.indices.reduce(0) { $0 + (isDead($1) ? 1 : 0) } }

    /// One step done: `codes` hold the latents that fired (codes keep only
    /// non-zero values, so every stored entry fired).
    package mutating func record(_ codes: SparseCodes) {
        var fired = [Bool](repeating: false, count: stepsSinceFired.count)
        for j in codes.index { fired[Int(j)] = true }
        for j in stepsSinceFired.indices { stepsSinceFired[j] = fired[j] ? 0 : stepsSinceFired[j] + 1 }
    }
}
