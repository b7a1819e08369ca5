import LoupeJSON

/// What an architecture needs to add its sparsity penalty to a training
/// step: the batch's pre-activations, the chosen codes, and where to add the
/// gradients. `dValue` is aligned with `codes.value`.
public struct PenaltyContext {
    public let pre: UnsafePointer<Float>        // [rows, dSAE]
    public let rows: Int
    public let dSAE: Int
    public let codes: SparseCodes
    public let coefficient: Float               // after warm-up
    public let threshold: UnsafePointer<Float>  // [dSAE]
    public let dValue: UnsafeMutablePointer<Float>
    public let dThreshold: UnsafeMutablePointer<Float>  // [dSAE]
    /// dLoss/dz for (token, latent) through the reconstruction, also for
    /// latents that did not fire (JumpReLU's threshold gradient needs them).
    public let reconstructionGradient: (Int, Int) -> Float
}

/// One SAE activation rule and its training behaviour. Each lives in its own
/// file; `SAEArchitectures` maps `cfg.json`'s `architecture` name to the type.
public protocol SAEArchitecture: Sendable, CustomStringConvertible {
    /// The `architecture` value in `cfg.json`.
    static var architectureName: String { get }
    /// Reads the architecture's fields from a `cfg.json` object.
    static func fromConfig(_ cfg: JSON) throws -> Self

    /// Fields written to `cfg.json` beside `architecture`.
    var configFields: [String: JSON] { get }
    /// The architecture an SAE is saved as (BatchTopK runs as JumpReLU once trained).
    var inferenceArchitecture: any SAEArchitecture { get }
    /// Whether inference reads the per-latent `threshold` tensor.
    var usesThreshold: Bool { get }
    /// Whether dead latents are revived with the AuxK loss.
    var usesAuxK: Bool { get }
    /// Whether the threshold is trained by gradient (JumpReLU).
    var trainsThreshold: Bool { get }
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
    public var architectureName: String { Self.architectureName }
    public var inferenceArchitecture: any SAEArchitecture { self }
    public var usesThreshold: Bool { false }
    public var usesAuxK: Bool { false }
    public var trainsThreshold: Bool { false }
    public func lossGroupEnds(dSAE: Int) -> [Int] { [dSAE] }
    public func validate(dIn: Int, dSAE: Int) throws {}
    public func trainingEncode(pre: UnsafePointer<Float>, rows: Int, dSAE: Int, threshold: UnsafePointer<Float>) -> SparseCodes {
        encode(pre: pre, rows: rows, dSAE: dSAE, threshold: threshold)
    }
    public func penalty(_ context: PenaltyContext) -> Double { 0 }
    public func afterStep(codes: SparseCodes, threshold: inout [Float]) {}
}

/// The registry from `cfg.json`'s architecture name to the type.
public enum SAEArchitectures {
    public static let all: [any SAEArchitecture.Type] = [
        ReLUArchitecture.self, TopKArchitecture.self, BatchTopKArchitecture.self,
        JumpReLUArchitecture.self, MatryoshkaBatchTopKArchitecture.self,
    ]

    /// Other spellings seen in the wild for the same rules.
    static let aliases: [String: String] = ["relu": "standard", "top_k": "topk", "batch_topk": "batchtopk",
                                            "matryoshka": "matryoshka_batchtopk"]

    public static func named(_ name: String) throws -> any SAEArchitecture.Type {
        let key = aliases[name.lowercased()] ?? name.lowercased()
        if let t = all.first(where: { $0.architectureName == key }) { return t }
        let known = all.map { $0.architectureName }.joined(separator: ", ")
        throw SAEError("unknown SAE architecture '\(name)'; Loupe reads: \(known)")
    }

    /// Builds an architecture from a `cfg.json` object.
    public static func fromConfig(_ cfg: JSON) throws -> any SAEArchitecture {
        guard let name = cfg["architecture"]?.stringValue else {
            throw SAEError("cfg.json has no \"architecture\" field; add one of: \(all.map { $0.architectureName }.joined(separator: ", "))")
        }
        return try named(name).fromConfig(cfg)
    }
}

/// Reads a positive integer field of cfg.json with a clear error.
func configInt(_ cfg: JSON, _ key: String, default value: Int? = nil) throws -> Int {
    if let v = cfg[key], !v.isNull {
        guard let i = v.intValue, i > 0 else { throw SAEError("cfg.json field \"\(key)\" must be a positive integer, got \(v.serialized())") }
        return i
    }
    if let value { return value }
    throw SAEError("cfg.json has no \"\(key)\" field, which this architecture needs")
}

func configDouble(_ cfg: JSON, _ key: String, default value: Double) throws -> Double {
    guard let v = cfg[key], !v.isNull else { return value }
    guard let d = v.doubleValue else { throw SAEError("cfg.json field \"\(key)\" must be a number, got \(v.serialized())") }
    return d
}
