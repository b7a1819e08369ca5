// swift-tools-version:6.0
// libFuzzer targets over Loupe's language and wire decoder. A package of its
// own because every module it links is built with -sanitize=fuzzer, whose
// libFuzzer supplies `main`: `make fuzz` builds and runs them.
import PackageDescription

let asLibrary: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "LoupeFuzz",
    dependencies: [.package(name: "Loupe", path: "..")],
    targets: [
        .target(name: "FuzzDriver", path: "Sources/FuzzDriver"),
        .executableTarget(name: "fuzz-language", dependencies: ["FuzzDriver", .product(name: "LoupeLanguage", package: "Loupe")],
                          path: "Sources/FuzzLanguage", swiftSettings: asLibrary),
        .executableTarget(name: "fuzz-wire", dependencies: ["FuzzDriver", .product(name: "LoupeKernel", package: "Loupe")],
                          path: "Sources/FuzzWire", swiftSettings: asLibrary),
    ]
)
