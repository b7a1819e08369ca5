import Foundation

extension SparseAutoencoder {
    /// Loads an SAE folder in SAELens's or sparsify's layout (told apart by
    /// the weights file's name).
    package static func load(from path: String) throws -> SparseAutoencoder {
        let fm = FileManager.default
        if fm.fileExists(atPath: path + "/" + SAELensFormat.weightsFile) { return try SAELensFormat.load(from: path) }
        if fm.fileExists(atPath: path + "/" + SparsifyFormat.weightsFile) { return try SparsifyFormat.load(from: path) }
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw SAEError.unreadableSAE(path: path, "no SAE at '\(path)': the folder does not exist") }
        throw SAEError.unreadableSAE(path: path, "'\(path)' holds no SAE: expected \(SAELensFormat.weightsFile) (SAELens) or \(SparsifyFormat.weightsFile) (sparsify)")
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
