extension SparseAutoencoder {
    /// Sizes read from a file. An SAE with no input or no latent computes
    /// nothing (its metrics are 0/0, shown as -nan), so it is refused on
    /// load, before anything divides by its width.
    static func checkSizes(dIn: Int, dSAE: Int, path: String) throws {
        guard dIn > 0, dSAE > 0 else {
            throw SAEError.unreadableSAE(path: path, "'\(path)' holds an SAE with d_in \(dIn) and d_sae \(dSAE); "
                + "an SAE needs at least one input and one latent, so the file is damaged or not a trained SAE")
        }
    }

    /// The SAE a file's weights make, its sizes checked first; a weight
    /// that does not fit is an error naming the file.
    static func fromFile(_ path: String, dIn: Int, dSAE: Int, architecture: any SAEArchitecture, wEnc: [Float], bEnc: [Float],
                         wDec: [Float], bDec: [Float], threshold: [Float]? = nil, metadata: SAEMetadata) throws -> SparseAutoencoder {
        try checkSizes(dIn: dIn, dSAE: dSAE, path: path)
        do {
            return try SparseAutoencoder(dIn: dIn, dSAE: dSAE, architecture: architecture, wEnc: wEnc, bEnc: bEnc,
                                         wDec: wDec, bDec: bDec, threshold: threshold, metadata: metadata)
        } catch let error as SAEError {
            if case .unreadableSAE = error { throw error }
            throw SAEError.unreadableSAE(path: path, "'\(path)': \(error)")
        }
    }
}
