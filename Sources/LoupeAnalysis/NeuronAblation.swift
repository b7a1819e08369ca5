import LoupeCLIP
import LoupeSAE
import LoupeSites

extension Intervention {
    /// Hooks that zero residual-stream coordinates (the neuron baseline of
    /// an SAE-latent ablation) at `layer` and `site`, on the tokens chosen.
    package static func zeroing(neurons: [Int], layer: Int, site: ActivationSite, tokens: TokenSelection,
                               width: Int) throws -> HookSet {
        for n in neurons where n < 0 || n >= width {
            throw AnalysisError.noSuchNeuron(n, width: width)
        }
        var hooks = HookSet()
        hooks.add(layer: layer, site: site) { buffer in
            let range = tokens.range(tokens: buffer.tokens, prefix: buffer.prefixTokens)
            for item in 0..<buffer.batch {
                for t in range {
                    let row = buffer.pointer + (item * buffer.tokens + t) * buffer.width
                    for n in neurons { row[n] = 0 }
                }
            }
        }
        return hooks
    }
}
