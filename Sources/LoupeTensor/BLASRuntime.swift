import CLoupeKernels
import Foundation

/// Which OpenBLAS kernels and how many threads Loupe computes with, for
/// summaries, the kernel banner and every benchmark line. The core is chosen
/// before `main` (CLoupeKernels' blas_runtime.c): the best one this CPU
/// supports when the library's own pick lacks AVX, or the user's
/// OPENBLAS_CORETYPE.
package enum BLASRuntime {
    /// The OpenBLAS core in use, e.g. "Cooperlake".
    package static var core: String { String(cString: loupe_blas_core()) }

    /// The core OpenBLAS picked itself when Loupe replaced it, e.g. "Prescott".
    package static var replacedCore: String? {
        let name = String(cString: loupe_blas_replaced_core())
        return name.isEmpty ? nil : name
    }

    /// The CPU as the kernel names it, with its family and model numbers
    /// (a virtual machine often shows only a generic name):
    /// "Intel(R) Xeon(R) Processor (family 6, model 207)". Every benchmark
    /// figure carries it, since the CPU decides which kernels run.
    package static let cpuModel: String = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.isEmpty { break }  // the first processor is enough
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        let name = fields["model name"] ?? "unknown CPU"
        guard let family = fields["cpu family"], let model = fields["model"] else { return name }
        return "\(name) (family \(family), model \(model))"
    }()

    /// "OpenBLAS Cooperlake (the library chose Prescott), 2 threads".
    package static var description: String {
        "OpenBLAS \(core)" + (replacedCore.map { " (the library chose \($0))" } ?? "") + ", \(Parallel.threads) threads"
    }
}
