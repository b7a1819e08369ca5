import CZlib
import Foundation

enum Gzip {
    /// Inflates a gzip stream (zlib with automatic header detection).
    static func decompress(_ data: [UInt8], name: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 window bits + 32: accept gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CLIPError(file: name, problem: "zlib could not start", fix: "Check the zlib installation.")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var input = data
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = uInt(inBuf.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(outBuf.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    out.append(contentsOf: outBuf.prefix(outBuf.count - Int(stream.avail_out)))
                }
            } while status == Z_OK
        }
        guard status == Z_STREAM_END else {
            throw CLIPError(file: name, problem: "the gzip data is corrupt or truncated (zlib status \(status))",
                            fix: "Reinstall Loupe or pass an intact bpe_simple_vocab_16e6.txt.gz.")
        }
        return out
    }
}
