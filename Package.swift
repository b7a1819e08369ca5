// swift-tools-version:6.0
// Loupe: a Jupyter kernel for looking inside CLIP's vision transformer with
// sparse autoencoders. Dependencies point one way (docs/architecture.md):
//   Tensor <- Safetensors <- CLIP, SAE <- Analysis <- Builtins <- loupe
//   Image (pixels, decoding) <- CLIP, Render (drawing, PNG) <- World <- Data (dataset sources) <- Builtins
//   Language (the language core: JSON only) <- Builtins
//   Kernel (Jupyter protocol and transports: JSON, Files, ZeroMQ, OpenSSL) <- loupe
// Every target lists exactly the modules it imports: `make` builds with
// --explicit-target-dependency-import-check error (nothing imported unlisted),
// and dev/check_imports.py, run by `make test`, checks the other way (nothing
// listed unimported) and keeps the map in docs/architecture.md current.
import PackageDescription

/// A system library found through pkg-config, with the Debian package that provides it.
func system(_ name: String, _ pkgConfig: String, _ debian: String) -> Target {
    .systemLibrary(name: name, path: "Sources/\(name)", pkgConfig: pkgConfig,
                   providers: [.apt([debian])])
}

let package = Package(
    name: "Loupe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loupe", targets: ["loupe"]),
        // For the coverage-guided fuzzers in Fuzz/, a package of their own.
        .library(name: "LoupeLanguage", targets: ["LoupeLanguage", "LoupeBuiltins"]),
        .library(name: "LoupeKernel", targets: ["LoupeKernel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        system("CBLAS", "openblas", "libopenblas-dev"),
        system("CZMQ", "libzmq", "libzmq3-dev"),
        system("CPNG", "libpng", "libpng-dev"),
        system("CCrypto", "libcrypto", "libssl-dev"),
        system("CJPEG", "libjpeg", "libjpeg62-turbo-dev"),
        system("CFreeType", "freetype2", "libfreetype-dev"),
        system("CZlib", "zlib", "zlib1g-dev"),

        .target(name: "LoupeJSON"),
        .target(name: "LoupeFiles"),
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        .target(name: "LoupeImage", dependencies: ["CImageCodecs"]),
        .target(name: "CLoupeKernels"),
        .target(name: "LoupeTensor", dependencies: ["CBLAS", "CLoupeKernels"]),
        // Activation sites and token selections, spelt once for the model and the SAE.
        .target(name: "LoupeSites"),
        .target(name: "LoupeSafetensors", dependencies: ["LoupeTensor", "LoupeJSON", "LoupeFiles", "CZlib", "CLoupeKernels"]),
        .target(name: "LoupeCLIP", dependencies: ["LoupeSites", "LoupeTensor", "LoupeSafetensors", "LoupeFiles", "LoupeImage", "LoupeJSON", "CZlib"],
                resources: [.copy("Resources/bpe_simple_vocab_16e6.txt.gz"), .copy("Resources/toy-clip.safetensors"),
                            .copy("Resources/toy-clip.md"), .copy("Resources/english-words-5000.txt"), .copy("Resources/english-words-5000.md")]),
        .target(name: "LoupeSAE", dependencies: ["LoupeSites", "LoupeTensor", "LoupeSafetensors", "LoupeJSON", "LoupeFiles", "CZlib"]),
        .target(name: "LoupeAnalysis", dependencies: ["LoupeSites", "LoupeCLIP", "LoupeSAE", "LoupeTensor", "LoupeImage"]),
        .target(name: "LoupeRender", dependencies: ["LoupeImage", "CFreeType", "CPNG"]),
        .target(name: "LoupeToyWorld", dependencies: ["LoupeRender", "LoupeImage", "LoupeJSON", "LoupeFiles"]),
        .target(name: "LoupeDatasets", dependencies: ["LoupeImage", "LoupeToyWorld"]),
        .target(name: "LoupeLanguage", dependencies: ["LoupeJSON"]),
        // How a session's outputs were made: Loupe's commit, the machine and BLAS, loaded files' SHA-256, seeds.
        .target(name: "LoupeProvenance", dependencies: ["LoupeJSON", "LoupeTensor", "CCrypto"]),
        // Notebooks as files: reading one, and comparing a fresh run's outputs with the stored ones.
        .target(name: "LoupeNotebook", dependencies: ["LoupeJSON", "LoupeImage", "LoupeLanguage"]),
        // Tables, figures, images and progress as MIME bundles; the one HTML escaper.
        .target(name: "LoupeDisplay", dependencies: ["LoupeLanguage", "LoupeRender", "LoupeImage", "LoupeJSON"]),
        // A static feature browser: HTML, thumbnails and nothing else, opened from disk.
        .target(name: "LoupeFeatureBrowser", dependencies: ["LoupeDisplay", "LoupeFiles", "LoupeImage", "LoupeRender"]),
        .target(name: "LoupeBuiltins", dependencies: ["LoupeSites", "LoupeLanguage", "LoupeDisplay", "LoupeFeatureBrowser", "LoupeDatasets", "LoupeAnalysis", "LoupeCLIP", "LoupeSAE", "LoupeSafetensors",
                                                      "LoupeRender", "LoupeToyWorld", "LoupeImage", "LoupeTensor", "LoupeJSON", "LoupeFiles", "LoupeProvenance"]),
        .target(name: "LoupeKernel", dependencies: ["LoupeJSON", "LoupeFiles", "CZMQ", "CCrypto"]),
        // The Jupyter adapter: a kernel running a session, built in one place.
        .target(name: "LoupeJupyter", dependencies: ["LoupeKernel", "LoupeBuiltins", "LoupeLanguage", "LoupeTensor", "LoupeJSON", "LoupeProvenance"]),
        // The kernelspec's files and the code that installs them, in one folder.
        .target(name: "LoupeKernelSpec", dependencies: ["LoupeJSON", "LoupeFiles"], path: "kernelspec",
                resources: [.copy("kernel.json.in"), .copy("logo-32x32.png"), .copy("logo-64x64.png")]),
        .target(name: "LoupeBenchmarks", dependencies: [
            "LoupeAnalysis", "LoupeBuiltins", "LoupeLanguage", "LoupeCLIP", "LoupeSAE", "LoupeToyWorld", "LoupeImage", "LoupeTensor", "LoupeJSON",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "loupe", dependencies: ["LoupeSites", 
            "LoupeKernel", "LoupeJupyter", "LoupeKernelSpec", "LoupeBenchmarks", "LoupeLanguage", "LoupeBuiltins", "LoupeSafetensors", "LoupeToyWorld",
            "LoupeCLIP", "LoupeSAE", "LoupeAnalysis", "LoupeDatasets", "LoupeImage", "LoupeFiles", "LoupeJSON", "LoupeNotebook",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "LoupeJSONTests", dependencies: ["LoupeJSON"]),
        .testTarget(name: "LoupeImageTests", dependencies: ["LoupeImage"]),
        .testTarget(name: "LoupeTensorTests", dependencies: ["LoupeTensor"]),
        .testTarget(name: "LoupeCLIPTests", dependencies: ["LoupeSites", "LoupeCLIP", "LoupeSafetensors", "LoupeTensor", "LoupeImage", "LoupeJSON", "LoupeToyWorld"]),
        .testTarget(name: "LoupeSAETests", dependencies: ["LoupeSAE", "LoupeSites", "LoupeSafetensors", "LoupeJSON", "LoupeTensor"],
                    resources: [.copy("Fixtures")]),
        .target(name: "LoupeTestSupport", dependencies: ["LoupeImage", "LoupeRender"], path: "Tests/LoupeTestSupport"),
        .testTarget(name: "LoupeRenderTests", dependencies: ["LoupeRender", "LoupeImage", "LoupeTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "LoupeToyWorldTests", dependencies: ["LoupeToyWorld", "LoupeImage", "LoupeJSON", "LoupeTestSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "LoupeAnalysisTests", dependencies: ["LoupeSites", "LoupeAnalysis", "LoupeCLIP", "LoupeSAE", "LoupeImage", "LoupeTensor", "LoupeToyWorld"],
                    exclude: ["Fixtures"]),
        .target(name: "LoupeSessionTestSupport", dependencies: ["LoupeBuiltins", "LoupeLanguage"], path: "Tests/LoupeSessionTestSupport"),
        .testTarget(name: "LoupeLanguageTests", dependencies: ["LoupeLanguage", "LoupeBuiltins", "LoupeSessionTestSupport", "LoupeTestSupport"]),
        .testTarget(name: "LoupeBuiltinsTests", dependencies: ["LoupeBuiltins", "LoupeDisplay", "LoupeLanguage", "LoupeSessionTestSupport", "LoupeTestSupport",
                                                               "LoupeCLIP", "LoupeSAE", "LoupeSafetensors", "LoupeJSON", "LoupeProvenance"]),
        .testTarget(name: "LoupeDatasetsTests", dependencies: ["LoupeDatasets"]),
        .testTarget(name: "LoupeDisplayTests", dependencies: ["LoupeDisplay", "LoupeImage", "LoupeJSON", "LoupeLanguage"]),
        .target(name: "LoupeKernelTestSupport", dependencies: ["LoupeKernel", "LoupeJSON", "CZMQ"], path: "Tests/LoupeKernelTestSupport"),
        .testTarget(name: "LoupeKernelTests", dependencies: ["LoupeKernel", "LoupeKernelSpec", "LoupeKernelTestSupport", "LoupeJSON",
                                                             "LoupeTestSupport"]),
        .testTarget(name: "LoupeJupyterTests", dependencies: ["LoupeJupyter", "LoupeKernel", "LoupeKernelTestSupport", "LoupeJSON"]),
        .testTarget(name: "LoupeProvenanceTests", dependencies: ["LoupeProvenance", "LoupeJSON"]),
        .testTarget(name: "LoupeNotebookTests", dependencies: ["LoupeNotebook", "LoupeJSON", "LoupeLanguage", "LoupeImage", "LoupeRender"]),
    ],
    swiftLanguageModes: [.v5]
)
