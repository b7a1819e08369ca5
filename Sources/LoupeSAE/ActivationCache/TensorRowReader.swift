import Foundation
import LoupeSafetensors
import LoupeTensor

/// Reads the rows of one tensor in a safetensors file with `pread`, a block
/// at a time, into the caller's buffer. Unlike the memory map, nothing read
/// stays resident afterwards, so streaming a cache many times larger than
/// memory keeps the process's footprint at the size of its buffers.
/// F32 is copied as is; F16 and BF16 (common in caches written by Python)
/// are widened to F32 on the way.
package final class TensorRowReader {
    package let path: String
    package let rows: Int
    package let width: Int
    private let dtype: SafetensorsFile.DType
    private let offset: Int
    private let fd: Int32
    private var staging: [UInt8] = []

    /// `entry` must be a float tensor whose last axis is the row width.
    package init(path: String, entry: SafetensorsFile.Entry) throws {
        guard [.f32, .f16, .bf16].contains(entry.dtype) else {
            throw SAEError.unusableFile(path: path, "'\(path)' holds '\(entry.name)' as \(entry.dtype.rawValue); activations must be F32, F16 or BF16")
        }
        guard let width = entry.shape.last, width > 0, entry.shape.count >= 2, entry.shape.allSatisfy({ $0 > 0 }),
              let rows = ShapeSize.elements(entry.shape.dropLast()) else {
            throw SAEError.unusableFile(path: path, "'\(path)' holds '\(entry.name)' with shape \(entry.shape); activations need [rows, width] or [images, tokens, width]")
        }
        self.path = path; self.width = width; self.rows = rows; dtype = entry.dtype; offset = entry.offset
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SAEError.unusableFile(path: path, "cannot open '\(path)': \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Copies rows `first..<first+count` into `buffer` as Float32.
    package func read(rows first: Int, count: Int, into buffer: UnsafeMutablePointer<Float>) throws {
        precondition(first >= 0 && count >= 0 && first + count <= rows)
        let values = count * width, start = offset + first * width * dtype.size
        if dtype == .f32 {
            try readFully(into: UnsafeMutableRawPointer(buffer), bytes: values * 4, at: start)
            return
        }
        if staging.count < values * 2 { staging = [UInt8](repeating: 0, count: values * 2) }
        try staging.withUnsafeMutableBytes { raw in
            try readFully(into: raw.baseAddress!, bytes: values * 2, at: start)
            HalfFloat.convert(raw.baseAddress!, count: values, bfloat: dtype == .bf16, into: buffer)
        }
    }

    private func readFully(into destination: UnsafeMutableRawPointer, bytes: Int, at position: Int) throws {
        var done = 0
        while done < bytes {
            let n = pread(fd, destination + done, bytes - done, off_t(position + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw SAEError.unusableFile(path: path, "'\(path)' ended early or could not be read (\(n < 0 ? String(cString: strerror(errno)) : "truncated")); write the cache again")
            }
            done += n
        }
    }
}
