import LoupeFiles

/// What is wrong with a safetensors file, which tensor if one, and what to do.
package typealias SafetensorsError = FileProblem
