import LoupeLanguage

/// The language's host objects and builtins, wired into the registry the
/// kernel, `loupe run` and the tests use. The language core (LoupeLanguage)
/// knows none of them: it evaluates whatever a registry holds.
extension Registry {
    /// The registry with every builtin of the language: every `register…`
    /// call is here. Types are made before methods are attached to them
    /// (`r.type`), so the order of these calls does not matter, and a name
    /// registered twice is refused (`Registry.conflicts`).
    public static let standard: Registry = {
        let r = Registry()
        registerCore(r)
        registerCollections(r)
        registerGraphics(r)
        registerDatasets(r)
        registerTable(r)
        registerCLIP(r)
        registerActivations(r)
        registerCharts(r)
        registerSAE(r)
        registerTraining(r)
        registerTrainingHistory(r)
        registerAnalyses(r)
        registerMonosemanticity(r)
        registerSteerabilitySweeps(r)
        registerSparsity(r)
        registerFeaturePage(r)
        registerAblationBaselines(r)
        registerTypographicDefence(r)
        registerEvidence(r)
        registerGroundTruth(r)
        registerLabels(r)
        registerExport(r)
        registerZeroShot(r)
        registerSampling(r)
        registerVocabularies(r)
        registerControls(r)
        registerSteerWidget(r)
        registerExploreWidget(r)
        return r
    }()

    /// The standard registry less every builtin that reads or writes files,
    /// reads the environment or waits: what a fuzzer may run freely.
    public static let sandboxed = standard.copy(excluding: [
        "env", "sleep", "CLIP.load", "Model.load", "SAE.load", "Dataset.folder", "Dataset.waterbirds", "Dataset.celeba",
        "SAE.save", "SAE.export", "Activations.save", "Activations.load", "Dataset.save", "Image.save", "Table.save",
    ])
}
