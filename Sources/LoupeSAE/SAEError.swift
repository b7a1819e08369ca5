/// Everything that can go wrong with an SAE says what happened and what to do
/// about it, because these messages reach notebook users directly. The case
/// says what kind of problem it is; the message is the sentence a person reads.
package enum SAEError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A training option or an architecture's setting outside its range.
    case invalidSetting(String)
    /// An SAE folder, its cfg.json or its weights: missing, malformed, or
    /// asking for something Loupe's SAEs do not model.
    case unreadableSAE(path: String, String)
    /// A training checkpoint or an activation cache that cannot be used.
    case unusableFile(path: String, String)
    /// Activations or weights whose shape does not fit.
    case shapeMismatch(String)
    /// No data where some is needed.
    case empty(String)
    /// A latent number outside the SAE.
    case noSuchLatent(Int, width: Int)
    /// A latent that never fires on the images it is asked about.
    case neverFires(latent: Int, images: Int)

    package var description: String {
        switch self {
        case .invalidSetting(let message), .shapeMismatch(let message), .empty(let message): message
        case .unreadableSAE(_, let message), .unusableFile(_, let message): message
        case .noSuchLatent(let latent, let width): "feature \(latent) is out of range: this SAE has latents 0..<\(width)"
        case .neverFires(let latent, let images): "latent \(latent) never fires on these \(images) images"
        }
    }
}
