/// Vectorised transcendental functions for the element-wise kernels.
/// Scalar libm calls would dominate the MLP's activation pass (tens of
/// millions of values per batch), so these work on 16 lanes at a time.
public typealias Vec = SIMD16<Float>

public enum VectorMath {
    /// e^x, relative error ~2e-7 on the float range (Cody–Waite range
    /// reduction by ln 2, then a degree-6 polynomial on [-ln2/2, ln2/2]).
    @inline(__always)
    public static func exp(_ x: Vec) -> Vec {
        let clamped = x.clamped(lowerBound: Vec(repeating: -87.3), upperBound: Vec(repeating: 88.3))
        let n = (clamped * 1.44269504088896341).rounded(.toNearestOrEven)
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = Vec(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        // 2^n assembled directly in the exponent bits.
        let bits = (SIMD16<Int32>(n, rounding: .towardZero) &+ 127) &<< 23
        return y * unsafeBitCast(bits, to: Vec.self)
    }

    /// 1 + erf(x) without cancellation for negative x (Abramowitz & Stegun
    /// 7.1.26, absolute error below 1.5e-7). Returned as (1 + erf) because
    /// that is exactly what GELU needs.
    @inline(__always)
    public static func onePlusErf(_ x: Vec) -> Vec {
        let ax = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.3275911 * ax)
        var p = Vec(repeating: 1.061405429)
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let q = p * t * exp(Vec(repeating: 0) - ax * ax)        // 1 - erf(|x|)
        return (2 - q).replacing(with: q, where: x .< 0)
    }

    /// Scalar e^x through the vector path, for tails and tests.
    public static func exp(_ x: Float) -> Float { exp(Vec(repeating: x))[0] }
}
