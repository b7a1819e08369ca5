import Foundation
import LoupeJSON
import LoupeKernel
import LoupeKernelSpec
import Testing

/// `kernelspec/` holds the kernelspec's files, the only copy: what
/// `loupe install` writes comes from them, the template filled in.
@Suite struct KernelSpecFolderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
    static let canonical = root.appendingPathComponent("kernelspec")

    static func files(_ folder: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: folder.appendingPathComponent($0))) })
    }

    @Test func installWritesTheFolderWithTheTemplateFilledIn() throws {
        let canonical = try Self.files(Self.canonical).filter { !$0.key.hasSuffix(".swift") }
        #expect(canonical.keys.sorted() == KernelSpec.files)
        let kernels = FileManager.default.temporaryDirectory.appendingPathComponent("kernelspec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: kernels) }
        let folder = URL(fileURLWithPath: try KernelSpec.install(into: kernels.path, executable: "/opt/loupe/bin/loupe"))
        let installed = try Self.files(folder)
        #expect(installed.keys.sorted() == ["kernel.json", "logo-32x32.png", "logo-64x64.png"])
        for name in ["logo-32x32.png", "logo-64x64.png"] { #expect(installed[name] == canonical[name], "\(name) differs") }
        let spec = try JSON.parse(Array(installed["kernel.json"] ?? Data()))
        #expect(spec["argv"] == .array(["/opt/loupe/bin/loupe", "kernel", "-f", "{connection_file}"]))
    }

    @Test func theTemplateFilledInIsTheKernelspecJupyterExpects() throws {
        let template = try String(contentsOf: Self.canonical.appendingPathComponent("kernel.json.in"), encoding: .utf8)
        let path = #"/opt/a "quoted" \ path/loupe"#
        let filled = template.replacingOccurrences(of: "\"@LOUPE_EXECUTABLE@\"", with: JSON.string(path).serialized())
        let spec = try JSON.parse(Array(filled.utf8))
        #expect(spec["argv"] == .array([.string(path), "kernel", "-f", "{connection_file}"]))
        #expect(spec["display_name"] == "Loupe" && spec["language"] == "loupe" && spec["interrupt_mode"] == "signal")
        #expect(spec["metadata"] == ["debugger": false])
        // JEP 105: the kernelspec names the protocol version, the one kernel_info_reply announces.
        #expect(spec["kernel_protocol_version"] == .string(KernelInfo.protocolVersion))
    }

    @Test func theLogosArePNGsOfTheirNamedSize() throws {
        for size in [32, 64] {
            let png = [UInt8](try Data(contentsOf: Self.canonical.appendingPathComponent("logo-\(size)x\(size).png")))
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            // IHDR's width and height, big-endian, right after its length and type.
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(width == size && height == size)
        }
    }
}
