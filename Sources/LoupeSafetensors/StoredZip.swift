import Foundation

/// The entries of a zip archive whose members are stored uncompressed, as
/// `torch.save` writes them: name → byte range in the file. The archive may
/// start part-way into the file (saev puts a JSON line before it); zip
/// offsets count from the archive's first byte.
///
/// The central directory says where each entry is; its local header, read
/// to find where the data starts, is checked against it (signature, name,
/// flags, method, sizes, and the data descriptor that torch writes after
/// the data), the entries may not overlap or reach into the directory, and
/// every entry's data must match its CRC-32. A local header whose extra
/// field was changed would otherwise move an entry's data (a tensor read
/// 64 KB further on) without any error.
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
        if u32(end + 16) == 0xFFFF_FFFF || count == 0xFFFF { throw fail("is a zip64 archive, which Loupe does not read (files over 4 GB)") }
        let directory = start + u32(end + 16)
        guard directory <= end else { throw fail("has a zip directory that starts past its end record") }
        var cursor = directory
        var entries: [String: Range<Int>] = [:]
        var spans: [(range: Range<Int>, name: String)] = []
        for _ in 0..<count {
            guard cursor + 46 <= end, u32(cursor) == 0x0201_4B50 else { throw fail("has a damaged zip directory") }
            let flags = u16(cursor + 8), method = u16(cursor + 10), crc = u32(cursor + 16)
            let compressed = u32(cursor + 20), uncompressed = u32(cursor + 24), nameLength = u16(cursor + 28)
            let extraLength = u16(cursor + 30), commentLength = u16(cursor + 32), local = start + u32(cursor + 42)
            guard cursor + 46 + nameLength <= end else { throw fail("has a damaged zip directory") }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[(cursor + 46)..<(cursor + 46 + nameLength)])
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard method == 0 else { throw fail("compresses '\(name)' (method \(method)); torch.save stores its members uncompressed") }
            guard compressed == uncompressed else { throw fail("stores '\(name)' with two different sizes (\(compressed) and \(uncompressed) bytes)") }
            guard entries[name] == nil else { throw fail("lists '\(name)' twice in its zip directory") }

            // The local header repeats what the directory says.
            guard local + 30 <= directory, u32(local) == 0x0403_4B50 else { throw fail("has a damaged zip entry '\(name)' (no local header where the directory points)") }
            let localNameLength = u16(local + 26)
            let dataStart = local + 30 + localNameLength + u16(local + 28)
            guard localNameLength == nameLength, local + 30 + nameLength <= directory,
                  nameBytes.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[(local + 30)..<(local + 30 + nameLength)])) else {
                throw fail("has a local header for '\(name)' that names another entry")
            }
            guard u16(local + 6) == flags, u16(local + 8) == method else {
                throw fail("has a local header for '\(name)' whose flags or method differ from its zip directory's")
            }
            guard dataStart + compressed <= directory else { throw fail("is truncated inside '\(name)' (its data runs into the zip directory)") }
            var entryEnd = dataStart + compressed
            if flags & 0x08 != 0 {
                // Sizes and CRC follow the data (torch writes them so), with or without a signature.
                var descriptor = entryEnd
                if descriptor + 4 <= directory, u32(descriptor) == 0x0807_4B50 { descriptor += 4 }
                guard descriptor + 12 <= directory, u32(descriptor) == crc, u32(descriptor + 4) == compressed, u32(descriptor + 8) == uncompressed else {
                    throw fail("has a data descriptor for '\(name)' that disagrees with its zip directory (the entry's data has moved or changed)")
                }
                entryEnd = descriptor + 12
                guard [0, crc].contains(u32(local + 14)), [0, compressed].contains(u32(local + 18)), [0, uncompressed].contains(u32(local + 22)) else {
                    throw fail("has a local header for '\(name)' whose sizes or CRC differ from its zip directory's")
                }
            } else {
                guard u32(local + 14) == crc, u32(local + 18) == compressed, u32(local + 22) == uncompressed else {
                    throw fail("has a local header for '\(name)' whose sizes or CRC differ from its zip directory's")
                }
            }
            let data = dataStart..<(dataStart + compressed)
            guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[data])) == UInt32(crc) else {
                throw fail("has a damaged entry '\(name)': its data does not match its CRC-32")
            }
            entries[name] = data
            spans.append((local..<entryEnd, name))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        // Entries may not share bytes: one entry's header read inside another's data.
        spans.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(spans, spans.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw fail("has zip entries '\(a.name)' and '\(b.name)' that overlap")
        }
        self.entries = entries
    }

    /// The entry whose name ends with `suffix` ("data.pkl" under whatever folder torch chose).
    package func entry(endingWith suffix: String) -> (name: String, range: Range<Int>)? {
        entries.first { $0.key == suffix || $0.key.hasSuffix("/" + suffix) }.map { ($0.key, $0.value) }
    }
}
