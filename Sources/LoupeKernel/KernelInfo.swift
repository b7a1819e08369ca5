import LoupeJSON

/// What the kernel says about itself in `kernel_info_reply`.
public enum KernelInfo {
    public static let version = "0.1.0"
    public static let protocolVersion = "5.3"
    public static let languageInfo: JSON = [
        "name": "loupe",
        "version": .string(version),
        "mimetype": "text/x-loupe",
        "file_extension": ".loupe",
        "codemirror_mode": "swift",
        "pygments_lexer": "swift",
    ]
    public static let banner = """
        Loupe \(version): look inside CLIP's vision transformer with sparse autoencoders.
        Type help() for the language, help(CLIP) for a type.
        """
}
