import LoupeImage
import XCTest

final class ResampleWindowTests: XCTestCase {
    /// A window of the output equals the same window cut from the full output.
    func testWindowEqualsCropOfFullResize() {
        var seed: UInt64 = 7
        func byte() -> UInt8 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return UInt8(seed >> 56) }
        let cases = [(31, 17, 3, 50, 40), (40, 60, 4, 13, 20), (25, 25, 3, 25, 70), (64, 9, 3, 64, 5), (7, 7, 4, 7, 7)]
        for (w, h, c, ow, oh) in cases {
            let src = (0..<(w * h * c)).map { _ in byte() }
            for filter in [PillowResample.Filter.bicubic, .nearest] {
                let full = PillowResample.resize(src, width: w, height: h, channels: c, to: ow, oh, filter: filter)
                let xs = (ow / 4)..<max(ow / 4 + 1, ow - ow / 3), ys = (oh / 3)..<max(oh / 3 + 1, oh - oh / 5)
                let window = PillowResample.resize(src, width: w, height: h, channels: c, to: ow, oh, filter: filter, window: (xs, ys))
                var expected: [UInt8] = []
                for y in ys { for x in xs { for k in 0..<c { expected.append(full[(y * ow + x) * c + k]) } } }
                XCTAssertEqual(window, expected, "\(w)x\(h)→\(ow)x\(oh) \(filter)")
            }
        }
    }
}
