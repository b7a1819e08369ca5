import Foundation
import LoupeTensor
import XCTest

/// OpenBLAS must compute with kernels that use what the CPU has, whatever
/// core the library picked for a CPU it does not know.
final class BLASRuntimeTests: XCTestCase {
    static let preAVX: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "opteron",
                                      "opteron_sse3", "barcelona", "bobcat", "athlon", "katmai", "coppermine", "northwood",
                                      "banias", "unknown"]

    func testTheCoreInUseIsNotAPreAVXOneOnAnAVXCPU() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let wide = flags.contains("avx512f") || (flags.contains("avx2") && flags.contains("fma"))
        try XCTSkipUnless(wide, "this CPU has neither AVX-512 nor AVX2 with FMA")
        try XCTSkipIf(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] != nil, "OPENBLAS_CORETYPE is set by the user")
        XCTAssertFalse(Self.preAVX.contains(BLASRuntime.core.lowercased()), "OpenBLAS computes with \(BLASRuntime.core)")
        XCTAssertTrue(BLASRuntime.description.contains(BLASRuntime.core))
        XCTAssertTrue(BLASRuntime.description.hasSuffix("\(Parallel.threads) threads"))
    }

    func testThreadsFollowTheCoresThisProcessMayUse() {
        XCTAssertGreaterThanOrEqual(Parallel.threads, 1)
        if ProcessInfo.processInfo.environment["LOUPE_THREADS"] == nil {
            XCTAssertLessThanOrEqual(Parallel.threads, ProcessInfo.processInfo.processorCount)
        }
    }

    func testProductsAreRightWithTheChosenKernels() {
        // A 3x2 by 2x2 product: the replaced core must still compute correctly.
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 0, 1]
        var c = [Float](repeating: 0, count: 6)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            BLAS.gemm(m: 3, n: 2, k: 2, a: pa.baseAddress!, lda: 2, b: pb.baseAddress!, ldb: 2, c: pc.baseAddress!, ldc: 2)
        } } }
        XCTAssertEqual(c, a)
    }
}
