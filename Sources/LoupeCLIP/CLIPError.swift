import LoupeFiles

/// A checkpoint, configuration or input that Loupe's CLIP engine refuses,
/// with what went wrong and how to fix it.
public typealias CLIPError = FileProblem
