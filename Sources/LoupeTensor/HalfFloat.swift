/// Conversion of 16-bit checkpoint formats to Float32.
package enum HalfFloat {
    /// IEEE 754 binary16 bits to Float (exact; subnormals, inf and NaN kept).
    @inline(__always)
    package static func fromFloat16Bits(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            // Subnormal or zero: value = mant · 2^-24.
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }

    /// bfloat16 bits to Float: the top half of a Float32.
    @inline(__always)
    package static func fromBFloat16Bits(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// Converts `count` little-endian 16-bit values at `src` into `dst`.
    package static func convert(_ src: UnsafeRawPointer, count: Int, bfloat: Bool, into dst: UnsafeMutablePointer<Float>) {
        Parallel.forEach(count, grain: 1 << 16) { range in
            for i in range {
                let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                dst[i] = bfloat ? fromBFloat16Bits(bits) : fromFloat16Bits(bits)
            }
        }
    }
}
