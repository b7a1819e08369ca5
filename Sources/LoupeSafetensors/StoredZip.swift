import Foundation

/// The entries of a zip archive whose members are stored uncompressed, as
/// `torch.save` writes them: name → byte range in the file. The archive may
/// start part-way into the file (saev puts a JSON line before it); zip
/// offsets count from the archive's first byte.
package struct StoredZip {
    package let entries: [String: Range<Int>]

    /// Reads the central directory of the archive in `bytes[start...]`.
    package init(_ bytes: UnsafeRawBufferPointer, startingAt start: Int, path: String) throws {
        func fail(_ problem: String) -> SafetensorsError {
            SafetensorsError(file: path, problem: problem, fix: "Save it again with torch.save (zip format, the default since PyTorch 1.6).")
        }
        func u16(_ at: Int) -> Int { Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) }
        func u32(_ at: Int) -> Int { Int(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian) }
        let size = bytes.count
        // The end-of-central-directory record is in the last 22 + 65,535 bytes.
        var end = -1
        var at = size - 22
        while at >= max(start, size - 22 - 65_535) {
            if u32(at) == 0x0605_4B50 { end = at; break }
            at -= 1
        }
        guard end >= 0 else { throw fail("is not a zip archive (no end-of-directory record)") }
        let count = u16(end + 10)
        var cursor = start + u32(end + 16)
        if u32(end + 16) == 0xFFFF_FFFF || count == 0xFFFF { throw fail("is a zip64 archive, which Loupe does not read (files over 4 GB)") }
        var entries: [String: Range<Int>] = [:]
        for _ in 0..<count {
            guard cursor + 46 <= size, u32(cursor) == 0x0201_4B50 else { throw fail("has a damaged zip directory") }
            let method = u16(cursor + 10), compressed = u32(cursor + 20), nameLength = u16(cursor + 28)
            let extraLength = u16(cursor + 30), commentLength = u16(cursor + 32), local = start + u32(cursor + 42)
            guard cursor + 46 + nameLength <= size else { throw fail("has a damaged zip directory") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(cursor + 46)..<(cursor + 46 + nameLength)]), as: UTF8.self)
            guard method == 0 else { throw fail("compresses '\(name)' (method \(method)); torch.save stores its members uncompressed") }
            guard local + 30 <= size, u32(local) == 0x0403_4B50 else { throw fail("has a damaged zip entry '\(name)'") }
            let dataStart = local + 30 + u16(local + 26) + u16(local + 28)
            guard dataStart + compressed <= size else { throw fail("is truncated inside '\(name)'") }
            entries[name] = dataStart..<(dataStart + compressed)
            cursor += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The entry whose name ends with `suffix` ("data.pkl" under whatever folder torch chose).
    package func entry(endingWith suffix: String) -> (name: String, range: Range<Int>)? {
        entries.first { $0.key == suffix || $0.key.hasSuffix("/" + suffix) }.map { ($0.key, $0.value) }
    }
}
