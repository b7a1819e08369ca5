import Foundation
import LoupeTestSupport

/// Reference images for this target, in Golden/ beside the tests.
let golden = GoldenImage(directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden"))
