import XCTest
import LoupeSAE

final class SelectionTests: XCTestCase {
    func testTopKKeepsLargestPositiveValues() throws {
        let sae = try SparseAutoencoder(dIn: 2, dSAE: 5, architecture: TopKArchitecture(k: 2),
                                        wEnc: [1, 0, 0, 1, -1, 0, 0, -1, 1, 1], bEnc: [0, 0, 0, 0, 0],
                                        wDec: [Float](repeating: 0.5, count: 10), bDec: [0, 0])
        let codes = try sae.encode([3, 1], width: 2)
        XCTAssertEqual(codes.row(0).map { $0.latent }, [0, 4])
        XCTAssertEqual(codes.row(0).map { $0.value }, [3, 4])
    }

    /// Errors are cases a caller can match, with the sentence a person reads.
    func testErrorsAreCasesWithTheirMessage() throws {
        let sae = try SparseAutoencoder(dIn: 2, dSAE: 5, architecture: TopKArchitecture(k: 2),
                                        wEnc: [Float](repeating: 1, count: 10), bEnc: [0, 0, 0, 0, 0],
                                        wDec: [Float](repeating: 0.5, count: 10), bDec: [0, 0])
        XCTAssertThrowsError(try sae.featureActivations([1, 2], width: 2, feature: 7)) { error in
            XCTAssertEqual(error as? SAEError, .noSuchLatent(7, width: 5))
            XCTAssertEqual("\(error)", "feature 7 is out of range: this SAE has latents 0..<5")
        }
        XCTAssertThrowsError(try TopKArchitecture(k: 9).validate(dIn: 2, dSAE: 5)) { error in
            guard case .invalidSetting(let message)? = error as? SAEError else { return XCTFail("\(error)") }
            XCTAssertEqual(message, "TopK needs 1 ≤ k ≤ width, got k = 9 for width 5")
        }
        XCTAssertThrowsError(try SparseAutoencoder.load(from: "/nonexistent/sae")) { error in
            guard case .unreadableSAE(let path, _)? = error as? SAEError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/nonexistent/sae")
        }
    }
}

final class CodesEditingTests: XCTestCase {
    func testClampAndAblate() {
        let codes = SparseCodes(rows: 2, width: 6, rowStart: [0, 2, 3], index: [1, 4, 2], value: [0.5, 2, 1])
        let clamped = codes.setting(latent: 3, to: 150)
        XCTAssertEqual(clamped.row(0).map { $0.latent }, [1, 3, 4])
        XCTAssertEqual(clamped.row(1).map { $0.latent }, [2, 3])
        XCTAssertEqual(clamped.column(3), [150, 150])
        XCTAssertEqual(codes.setting(latent: 4, to: 7).column(4), [7, 7])
        XCTAssertEqual(codes.setting(latent: 4, to: 0).column(4), [0, 0])
        let ablated = codes.removing(latents: [1, 2])
        XCTAssertEqual(ablated.row(0).map { $0.latent }, [4])
        XCTAssertEqual(ablated.row(1).count, 0)
    }
}
