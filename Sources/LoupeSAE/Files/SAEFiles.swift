import Foundation

extension SparseAutoencoder {
    /// Loads an SAE in SAELens's, sparsify's, ViT-Prisma's, saev's,
    /// dictionary_learning's or overcomplete's layout, told apart by the
    /// files' names and first bytes: a folder with `sae_weights.safetensors`
    /// (SAELens), `sae.safetensors` (sparsify), Prisma's `weights.pt` or
    /// `n_images_<N>.pt` (with or without its `config.json`), `sae.pt` (saev)
    /// or `ae.pt` (dictionary_learning); or one `.pt` file: `ae.pt` is
    /// dictionary_learning's, one starting with a JSON line saev's, a pickled
    /// overcomplete module or a state dict with its JSON file beside it
    /// overcomplete's, any other Prisma's.
    package static func load(from path: String) throws -> SparseAutoencoder {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw SAEError.unreadableSAE(path: path, "no SAE at '\(path)': it does not exist") }
        if !isDir.boolValue {
            if (path as NSString).lastPathComponent == DictionaryLearningFormat.weightsFile { return try DictionaryLearningFormat.load(from: path) }
            if SaevFormat.recognises(path) { return try SaevFormat.load(from: path) }
            return OvercompleteFormat.recognises(path) ? try OvercompleteFormat.load(from: path) : try PrismaFormat.load(from: path)
        }
        if fm.fileExists(atPath: path + "/" + SAELensFormat.weightsFile) { return try SAELensFormat.load(from: path) }
        if fm.fileExists(atPath: path + "/" + SparsifyFormat.weightsFile) { return try SparsifyFormat.load(from: path) }
        // Prisma's weights, with config.json or without (the config pickled inside is read then).
        if PrismaFormat.weightsFile(in: path) != nil { return try PrismaFormat.load(from: path) }
        if fm.fileExists(atPath: path + "/" + SaevFormat.fileName) { return try SaevFormat.load(from: path + "/" + SaevFormat.fileName) }
        if fm.fileExists(atPath: path + "/" + DictionaryLearningFormat.weightsFile) { return try DictionaryLearningFormat.load(from: path) }
        throw SAEError.unreadableSAE(path: path, "'\(path)' holds no SAE: expected \(SAELensFormat.weightsFile) (SAELens), \(SparsifyFormat.weightsFile) (sparsify), "
            + "weights.pt or n_images_<N>.pt (ViT-Prisma), \(SaevFormat.fileName) (saev) or \(DictionaryLearningFormat.weightsFile) (dictionary_learning)")
    }

    /// Loads an SAE and checks it reads activations `width` wide.
    package static func load(from path: String, forWidth width: Int, layer: Int? = nil) throws -> SparseAutoencoder {
        let sae = try load(from: path)
        try sae.checkInputWidth(width, for: layer.map { "layer \($0)'s activations" } ?? "these activations")
        return sae
    }

    /// Saves in SAELens's layout.
    package func save(to path: String) throws { try SAELensFormat.save(self, to: path) }
}
