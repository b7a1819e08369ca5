/// Why an analysis refused its inputs. The messages reach notebook users as
/// they are, so each names the value and the valid range.
package enum AnalysisError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A latent index outside the SAE.
    case noSuchLatent(Int, latents: Int)
    /// A neuron (residual-stream coordinate) outside the stream.
    case noSuchNeuron(Int, width: Int)
    /// A contrast without images on one side.
    case emptyContrast
    /// An ablation of no units.
    case nothingToAblate
    /// L0 by token type on activations without both kinds of token.
    case tooFewTokens(Int)
    /// L0 by token type for a model with no class token (SigLIP).
    case noClassToken
    /// Steering without images or without words.
    case nothingToSteer
    /// The monosemanticity score over fewer than two images: no pair to compare.
    case tooFewImages(Int)
    /// Ground-truth similarity asked of a dataset whose attributes are unknown.
    case noGroundTruth(dataset: String)
    /// The images that select units share images with those that evaluate them.
    case overlap(shared: Int, example: String, selection: String, evaluation: String)
    /// A clamp cannot be carried over: the reference is not the model it was chosen on, or its stream is zero.
    case uncalibratable(String)

    package var description: String {
        switch self {
        case .noSuchLatent(let latent, let latents): return "latent \(latent) does not exist: this SAE has latents 0..<\(latents)"
        case .noSuchNeuron(let neuron, let width):
            return "neuron \(neuron) does not exist: the residual stream has coordinates 0..<\(width)"
        case .emptyContrast: return "the contrast needs images with and without the attribute"
        case .nothingToAblate: return "ablate at least one unit (top: 1 or more)"
        case .tooFewTokens(let t): return "L0 by token type needs a class token and spatial tokens; got \(t) token(s) per image"
        case .noClassToken: return "L0 by token type compares the class token with the patches, and this model (SigLIP) has no class token"
        case .nothingToSteer: return "steering needs images and a vocabulary"
        case .tooFewImages(let n): return "monosemanticity needs at least 2 images, got \(n)"
        case .noGroundTruth(let dataset):
            return "encoder: .attributes needs the toy world's scenes, whose attributes are known; \(dataset) has none. "
                + "Pass a loaded CLIP as encoder: instead"
        case .overlap(let shared, let example, let selection, let evaluation):
            return "\(selection) and \(evaluation) share \(shared) image\(shared == 1 ? "" : "s") (e.g. \(example)): units selected on "
                + "the images that evaluate them would be scored on the data they were fitted to. Select on a separate set, "
                + "e.g. scenes of another seed or the train split, and evaluate on the test split"
        case .uncalibratable(let why): return why
        }
    }
}
