import FuzzDriver
import LoupeKernel

/// Frames split from the input at 0xFF bytes, the four JSON parts signed so
/// that decoding reaches the JSON parser; the decoder must answer with a
/// message or an error, never crash.
let codec = WireCodec(signer: Signer(key: "fuzz-key"))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let frames = UnsafeBufferPointer(start: data, count: size).split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init)
    let parts = Array(frames.prefix(4)) + Array(repeating: [], count: max(0, 4 - frames.count))
    let wire = [[UInt8]("id".utf8), WireCodec.delimiter, [UInt8](codec.signer.signature(parts).utf8)] + parts + frames.dropFirst(4)
    if let message = try? codec.decode(wire) { _ = codec.encode(message) }
    return 0
}

@_cdecl("fuzz_wire_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzWire($0, $1) }
}
