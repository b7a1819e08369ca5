import Foundation

/// Where a training step's time goes, phase by phase, for the benchmark's
/// profile table. Off unless a `StepProfile` is given to the options: the
/// step then reads the clock between phases (a few calls, nanoseconds each).
package final class StepProfile: @unchecked Sendable {
    package enum Phase: String, CaseIterable, Sendable {
        case encoder = "encoder product (x − b_dec) W_encᵀ + b_enc"
        case selection = "latent selection (TopK / BatchTopK)"
        case decoder = "sparse decoder and loss"
        case codeGradients = "dL/dz of the firing latents, sparsity penalty"
        case auxK = "AuxK"
        case weightGradients = "sparse weight gradients"
        case clipping = "gradient norm and clipping"
        case adam = "Adam, decoder projection and renormalisation"
        case bookkeeping = "threshold and dead-latent counters"
        case batch = "next batch from the shuffle buffer"
    }

    /// Seconds per phase, one entry per step, in step order.
    package private(set) var seconds: [Phase: [Double]] = [:]
    private var mark = DispatchTime.now().uptimeNanoseconds

    package init() {}

    /// Starts timing from now.
    func start() { mark = DispatchTime.now().uptimeNanoseconds }

    /// Charges the time since the last mark to `phase`, as this step's entry.
    func charge(_ phase: Phase) {
        let now = DispatchTime.now().uptimeNanoseconds
        seconds[phase, default: []].append(Double(now - mark) / 1e9)
        mark = now
    }

    /// Mean seconds per step of each phase over the last `steps` steps.
    package func mean(lastSteps steps: Int) -> [(phase: Phase, seconds: Double)] {
        Phase.allCases.compactMap { phase in
            guard let list = seconds[phase], !list.isEmpty else { return nil }
            let tail = list.suffix(max(1, steps))
            return (phase, tail.reduce(0, +) / Double(tail.count))
        }
    }
}
