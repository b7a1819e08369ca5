import Foundation

/// A whole file mapped read-only into memory. Checkpoint weights are used
/// straight from these pages, so loading a model costs address space, not
/// a copy; the kernel pages weights in on first use and can drop them again
/// under memory pressure.
package final class MappedFile: @unchecked Sendable {
    package let path: String
    package let base: UnsafeRawPointer
    package let size: Int

    package init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw SafetensorsError(file: path, problem: exists ? "cannot open the file (\(String(cString: strerror(errno))))" : "no such file",
                            fix: exists ? "Check the file's permissions." : "Check the path.")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SafetensorsError(file: path, problem: "cannot stat the file", fix: "Check that it is a regular file.")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SafetensorsError(file: path, problem: "not a regular file", fix: "Pass the .safetensors file itself.")
        }
        size = Int(st.st_size)
        guard size > 0 else {
            throw SafetensorsError(file: path, problem: "the file is empty", fix: "Re-download or re-export the checkpoint.")
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafetensorsError(file: path, problem: "cannot memory-map the file (\(String(cString: strerror(errno))))",
                            fix: "Check free address space and that the file system supports mmap.")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
