import LoupeFiles

/// A checkpoint, configuration or input that Loupe's CLIP engine refuses,
/// with what went wrong and how to fix it.
package typealias CLIPError = FileProblem
