import Foundation
import LoupeFiles
import LoupeJSON

/// The Jupyter kernelspec: the files beside this one in `kernelspec/`, the
/// one place they live, bundled as this module's resources. Templates
/// (`*.in`) get the executable's path filled in and lose their suffix; the
/// rest is copied.
public enum KernelSpec {
    /// Every file of the kernelspec, as `kernelspec/` holds it.
    public static let files = ["kernel.json.in", "logo-32x32.png", "logo-64x64.png"]
    static let executablePlaceholder = "@LOUPE_EXECUTABLE@"

    /// Installs into `kernelsDirectory/loupe` and returns that path. Every file
    /// is written to a temporary name and renamed.
    @discardableResult
    public static func install(into kernelsDirectory: String, executable: String) throws -> String {
        let target = (kernelsDirectory as NSString).appendingPathComponent("loupe")
        for name in files {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil),
                  let bytes = FileManager.default.contents(atPath: url.path) else {
                throw KernelSpecError("cannot read the bundled kernelspec file \(name)")
            }
            if name.hasSuffix(".in") {
                try AtomicFile.write(try fill(Array(bytes), name: name, executable: executable),
                                     to: (target as NSString).appendingPathComponent(String(name.dropLast(3))))
            } else {
                try AtomicFile.write(Array(bytes), to: (target as NSString).appendingPathComponent(name))
            }
        }
        return target
    }

    /// The placeholder stands inside quotes in the template and is replaced,
    /// quotes included, by the path as a JSON string, so a path with quotes or
    /// backslashes still gives valid JSON; the result is parsed to make sure.
    static func fill(_ template: [UInt8], name: String, executable: String) throws -> [UInt8] {
        let quoted = "\"\(executablePlaceholder)\""
        let text = String(decoding: template, as: UTF8.self)
        guard text.contains(quoted) else {
            throw KernelSpecError("the kernelspec template \(name) has no \(quoted) to fill in")
        }
        let filled = Array(text.replacingOccurrences(of: quoted, with: JSON.string(executable).serialized()).utf8)
        do { _ = try JSON.parse(filled) } catch {
            throw KernelSpecError("the kernelspec template \(name) does not give valid JSON: \(error)")
        }
        return filled
    }
}

public struct KernelSpecError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
