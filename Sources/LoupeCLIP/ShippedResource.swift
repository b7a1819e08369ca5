import Foundation

/// Finds a file shipped in LoupeCLIP's resources without `Bundle.module`,
/// whose accessor stops the process when the resource folder was not
/// installed beside the binary. Order: the environment variable, the SwiftPM
/// resource folder next to the executable, then the source tree this file
/// was built from.
enum ShippedResource {
    static func path(_ name: String, what: String, environment variable: String) throws -> String {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment[variable] { candidates.append(env) }
        let exeDir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for dir in [exeDir, Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()] {
            candidates.append(dir.appendingPathComponent("Loupe_LoupeCLIP.resources/\(name)").path)
            candidates.append(dir.appendingPathComponent("Loupe_LoupeCLIP.bundle/Contents/Resources/\(name)").path)
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/\(name)").path)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw CLIPError(file: name, problem: "\(what) was not found (looked in: \(candidates.joined(separator: ", ")))",
                        fix: "Keep the Loupe_LoupeCLIP.resources folder next to the loupe binary, or set \(variable) to the file's path.")
    }
}
