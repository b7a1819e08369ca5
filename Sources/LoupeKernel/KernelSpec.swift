import Foundation
import LoupeFiles
import LoupeImage
import LoupeJSON
import LoupeRender

/// Writes the Jupyter kernelspec: kernel.json and the 32 and 64 px logos.
public enum KernelSpec {
    public static func kernelJSON(executable: String) -> JSON {
        [
            "argv": [.string(executable), "kernel", "-f", "{connection_file}"],
            "display_name": "Loupe",
            "language": "loupe",
            "interrupt_mode": "signal",
            "metadata": ["debugger": false],
        ]
    }

    /// Installs into `directory/loupe` and returns that path. Every file is
    /// written to a temporary name and renamed.
    @discardableResult
    public static func install(into kernelsDirectory: String, executable: String) throws -> String {
        let target = (kernelsDirectory as NSString).appendingPathComponent("loupe")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try AtomicFile.write(Array(kernelJSON(executable: executable).pretty().utf8) + [10],
                            to: (target as NSString).appendingPathComponent("kernel.json"))
        for size in [32, 64] {
            try AtomicFile.write(try Logo.draw(size: size).pngData(),
                                to: (target as NSString).appendingPathComponent("logo-\(size)x\(size).png"))
        }
        return target
    }
}
