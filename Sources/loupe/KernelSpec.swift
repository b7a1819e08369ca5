import Foundation
import LoupeFiles
import LoupeJSON

/// The Jupyter kernelspec: the files of the repository's `kernelspec/` folder,
/// bundled with this executable as a resource (Tests/LoupeKernelTests checks
/// the bundled copy against the folder). Templates (`*.in`) get the
/// executable's path filled in and lose their suffix; the rest is copied.
enum KernelSpec {
    static let executablePlaceholder = "@LOUPE_EXECUTABLE@"

    /// Installs into `kernelsDirectory/loupe` and returns that path. Every file
    /// is written to a temporary name and renamed.
    @discardableResult
    static func install(into kernelsDirectory: String, executable: String) throws -> String {
        let source = try bundledFolder()
        let target = (kernelsDirectory as NSString).appendingPathComponent("loupe")
        let names = try FileManager.default.contentsOfDirectory(atPath: source.path).sorted()
        for name in names {
            guard let bytes = FileManager.default.contents(atPath: source.appendingPathComponent(name).path) else {
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

    static func bundledFolder() throws -> URL {
        guard let url = Bundle.module.url(forResource: "kernelspec", withExtension: nil) else {
            throw KernelSpecError("the kernelspec files are missing from this build's resources; rebuild with `swift build -c release`")
        }
        return url
    }
}

struct KernelSpecError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
