import Foundation
import LoupeCLIP
import LoupeTensor
import XCTest
import LoupeSafetensors

/// Locates the committed fixtures (built by dev/make_clip_fixtures.py).
enum Fixtures {
    static let clip: String = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return here.deletingLastPathComponent().appendingPathComponent("Fixtures/clip").path
    }()

    static func path(_ name: String) -> String { (clip as NSString).appendingPathComponent(name) }

    static func reference(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: path("\(name).reference.safetensors"))
    }
}

/// Largest absolute difference, and the largest reference magnitude.
func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> (diff: Float, scale: Float) {
    precondition(a.count == b.count, "sizes differ: \(a.shape) vs \(b.shape)")
    var d: Float = 0, s: Float = 0
    for i in 0..<a.count {
        d = max(d, abs(a.pointer[i] - b.pointer[i]))
        s = max(s, abs(b.pointer[i]))
    }
    return (d, s)
}

/// Float32 agreement: errors relative to the tensor's magnitude stay at the
/// level of accumulated float32 rounding, far below any real mistake.
func assertClose(_ a: Tensor, _ b: Tensor, rtol: Float = 2e-5, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape.reduce(1, *), b.shape.reduce(1, *), "\(what): sizes differ \(a.shape) vs \(b.shape)", file: file, line: line)
    guard a.count == b.count else { return }
    let (d, s) = maxAbsDiff(a, b)
    XCTAssertLessThanOrEqual(d, rtol * max(s, 1), "\(what): max abs error \(d) (reference scale \(s))", file: file, line: line)
}
