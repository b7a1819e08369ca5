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
}
