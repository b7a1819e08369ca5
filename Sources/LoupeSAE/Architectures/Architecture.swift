import LoupeJSON

/// What an architecture needs to add its sparsity penalty to a training
/// step: the batch's pre-activations, the chosen codes, and where to add the
/// gradients. `dValue` is aligned with `codes.value`.
package struct PenaltyContext {
    package let pre: UnsafePointer<Float>        // [rows, dSAE]
    package let rows: Int
    package let dSAE: Int
    package let codes: SparseCodes
    package let coefficient: Float               // after warm-up
    package let threshold: UnsafePointer<Float>  // [dSAE]
    package let dValue: UnsafeMutablePointer<Float>
    package let dThreshold: UnsafeMutablePointer<Float>  // [dSAE]
    /// dLoss/dz for (token, latent) through the reconstruction, also for
    /// latents that did not fire (JumpReLU's threshold gradient needs them).
    package let reconstructionGradient: (Int, Int) -> Float
}

/// One SAE activation rule and its training behaviour. Each lives whole in
/// its own file: how notebooks spell it, its options, its `cfg.json` fields
/// and its training specifics. `SAEArchitectures` lists them.
package protocol SAEArchitecture: Sendable, CustomStringConvertible {
    /// The `architecture` value in `cfg.json`.
    static var architectureName: String { get }
    /// Other `architecture` values seen in the wild for the same rules.
    static var aliases: [String] { get }
    /// How notebooks ask for it: `kind: .topK(k: 32)`.
    static var kind: ArchitectureKind { get }
    /// Builds it from the arguments of its `kind:` case.
    static func fromArguments(_ arguments: ArchitectureArguments) throws -> Self
    /// Reads the architecture's fields from a `cfg.json` object.
    static func fromConfig(_ cfg: JSON) throws -> Self

    /// Fields written to `cfg.json` beside `architecture`; together with the
    /// name they are what a checkpoint must match to be resumed.
    var configFields: [String: JSON] { get }
    /// Fields SAELens's config for this architecture expects that never vary
    /// (so they are written on save but are no part of its identity).
    var fixedConfigFields: [String: JSON] { get }
    /// The architecture an SAE is saved as (BatchTopK runs as JumpReLU once trained).
    var inferenceArchitecture: any SAEArchitecture { get }
    /// Whether inference reads the per-latent `threshold` tensor.
    var usesThreshold: Bool { get }
    /// The threshold every latent of a fresh SAE starts with.
    var initialThreshold: Float { get }
    /// Whether dead latents are revived with the AuxK loss.
    var usesAuxK: Bool { get }
    /// Whether the threshold is trained by gradient (JumpReLU).
    var trainsThreshold: Bool { get }
    /// The sparsity penalty's coefficient before warm-up (ReLU's L1,
    /// JumpReLU's L0); 0 for architectures whose sparsity is structural.
    var sparsityCoefficient: Float { get }
    /// Prefix widths whose reconstructions are each scored (Matryoshka);
    /// `[dSAE]` for a single reconstruction.
    func lossGroupEnds(dSAE: Int) -> [Int]
    /// Checks the architecture against the SAE's width.
    func validate(dIn: Int, dSAE: Int) throws

    /// Inference: codes from pre-activations.
    func encode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes
    /// Training: codes from pre-activations (BatchTopK selects over the batch).
    func trainingEncode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes
    /// Adds the sparsity penalty's gradients and returns its value.
    func penalty(_ context: PenaltyContext) -> Double
    /// State updated after each optimiser step outside the gradient (BatchTopK's threshold).
    func afterStep(codes: SparseCodes, threshold: inout [Float])
}

extension SAEArchitecture {
    package static var aliases: [String] { [] }
    package var architectureName: String { Self.architectureName }
    package var fixedConfigFields: [String: JSON] { [:] }
    package var inferenceArchitecture: any SAEArchitecture { self }
    package var usesThreshold: Bool { false }
    package var initialThreshold: Float { 0 }
    package var usesAuxK: Bool { false }
    package var trainsThreshold: Bool { false }
    package var sparsityCoefficient: Float { 0 }
    package func lossGroupEnds(dSAE: Int) -> [Int] { [dSAE] }
    package func validate(dIn: Int, dSAE: Int) throws {}
    package func trainingEncode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        encode(pre: pre, rows: rows, dSAE: dSAE, threshold: threshold)
    }
    package func penalty(_ context: PenaltyContext) -> Double { 0 }
    package func afterStep(codes: SparseCodes, threshold: inout [Float]) {}
}
