import CLoupeKernels
import CZlib
import Foundation
import LoupeTensor

/// CRC-32 (zip's and zlib's), over buffers of any size. Most of the bytes
/// go through the carry-less-multiply folding kernel where the CPU has it
/// (several times zlib's speed, so that checking a cache shard as it
/// streams costs little); the rest, and every byte on other CPUs, through
/// zlib, which takes at most 4 GiB per call.
package enum CRC32 {
    /// Pieces of a large buffer are summed on all cores and the sums
    /// combined (zlib's crc32_combine), so that checking a cache shard as
    /// it streams from disk takes a small share of the read.
    static let piece = 2 << 20

    package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        let pieces = bytes.count / piece
        guard pieces >= 2, Parallel.threads > 1 else { return serial(bytes, continuing: crc) }
        var sums = [UInt32](repeating: 0, count: pieces)
        sums.withUnsafeMutableBufferPointer { sums in
            Parallel.forEach(pieces) { range in
                for i in range { sums[i] = serial(UnsafeRawBufferPointer(rebasing: bytes[(i * piece)..<((i + 1) * piece)])) }
            }
        }
        var combined = UInt(crc)
        for sum in sums { combined = CZlib.crc32_combine(combined, UInt(sum), off_t(piece)) }
        return serial(UnsafeRawBufferPointer(rebasing: bytes[(pieces * piece)...]), continuing: UInt32(combined))
    }

    /// One thread's CRC-32 of `bytes`.
    static func serial(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        var folded = crc, offset = 0
        // Folding in pieces keeps each call's length within a C long everywhere.
        while bytes.count - offset >= 64 {
            let n = loupe_crc32_fold(&folded, base + offset, min(bytes.count - offset, 1 << 30))
            if n == 0 { break }
            offset += n
        }
        var z = UInt(folded)
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            z = CZlib.crc32(z, (base + offset).assumingMemoryBound(to: UInt8.self), UInt32(n))
            offset += n
        }
        return UInt32(z)
    }

    /// zlib's CRC-32 alone, which the folding kernel must agree with.
    package static func zlibChecksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return crc }
        var z = UInt(crc), offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            z = CZlib.crc32(z, (base + offset).assumingMemoryBound(to: UInt8.self), UInt32(n))
            offset += n
        }
        return UInt32(z)
    }
}
