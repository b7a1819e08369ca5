import Foundation
import FuzzDriver
import LoupeBuiltins
import LoupeLanguage

/// One cell through the lexer, parser and evaluator, with every builtin
/// that touches no disk. Errors are fine; a crash or a hang is a finding.
/// Long work is stopped after a second, as a person would press Stop.
nonisolated(unsafe) var session = Session(registry: .sandboxed)
nonisolated(unsafe) var runs = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLanguage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    runs += 1
    if runs % 50 == 0 { session = Session(registry: .sandboxed) }
    let code = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let token = session.interpreter.interrupt
    let watchdog = DispatchWorkItem { token.request() }
    DispatchQueue.global().asyncAfter(deadline: .now() + 1, execute: watchdog)
    _ = session.run(code, color: false)
    watchdog.cancel()
    return 0
}

@_cdecl("fuzz_language_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzLanguage($0, $1) }
}
