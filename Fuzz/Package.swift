// swift-tools-version:6.0
// libFuzzer targets over Loupe's language and wire decoder. A package of its
// own because every module it links is built with -sanitize=fuzzer, whose
// libFuzzer supplies `main`: `make fuzz-libfuzzer` builds and runs them.
import PackageDescription

let asLibrary: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "LoupeFuzz",
    dependencies: [.package(name: "Loupe", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-language", dependencies: [.product(name: "LoupeLanguage", package: "Loupe")],
                          path: "Sources/FuzzLanguage", swiftSettings: asLibrary),
        .executableTarget(name: "fuzz-wire", dependencies: [.product(name: "LoupeKernel", package: "Loupe")],
                          path: "Sources/FuzzWire", swiftSettings: asLibrary),
    ]
)
