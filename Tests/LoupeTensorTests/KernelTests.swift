import LoupeTensor
import XCTest

final class KernelTests: XCTestCase {
    func testMatmulMatchesNaiveProduct() {
        let a = Tensor(shape: [3, 4], values: (0..<12).map { Float($0) * 0.5 - 2 })
        let b = Tensor(shape: [4, 2], values: (0..<8).map { Float($0) - 3 })
        let c = a.matmul(b)
        for i in 0..<3 {
            for j in 0..<2 {
                var s: Float = 0
                for k in 0..<4 { s += a[i, k] * b[k, j] }
                XCTAssertEqual(c[i, j], s, accuracy: 1e-5)
            }
        }
        let bt = Tensor(shape: [2, 4], values: (0..<8).map { Float($0) })
        let c2 = a.matmul(bt, transposeOther: true)
        XCTAssertEqual(c2[1, 1], (0..<4).reduce(Float(0)) { $0 + a[1, $1] * bt[1, $1] }, accuracy: 1e-5)
    }
}
