import ArgumentParser
import Foundation
import LoupeTensor

/// What this CPU can do per core with fp32 FMA and with the AVX512_BF16 dot
/// product: whether bf16 weights with fp32 accumulation could outrun the
/// fp32 path here at all.
struct CPUBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpu", abstract: "One core's fp32 FMA and bf16 dot-product rates, and what bf16 could gain here.")

    @Option(help: "Timed runs of each probe (the best one is kept).") var runs = 5

    func run() throws {
        func best(_ path: CPUThroughput.Path) -> Double? {
            (0..<runs).compactMap { _ in CPUThroughput.coreGFLOPS(path) }.max()
        }
        print("cpu=\"\(BLASRuntime.cpuModel)\" blas_core=\(BLASRuntime.core) threads=\(Parallel.threads)")
        guard let fp32 = best(.fp32FMA) else {
            print("no AVX-512 on this CPU: the bf16 probe needs it")
            return
        }
        print(String(format: "fp32 FMA, one core             %.1f GFLOP/s", fp32))
        guard let bf16 = best(.bf16Dot) else {
            print("no AVX512_BF16 on this CPU: `precision: .bf16` has no instructions to run on")
            return
        }
        print(String(format: "bf16 dot product, one core     %.1f GFLOP/s", bf16))
        print(String(format: "a bf16 GEMM with fp32 accumulation could reach at most %.2fx the fp32 rate here", bf16 / fp32))
    }
}
