"""Prints the folding constants of Sources/CLoupeKernels/crc32_fold.c.

Folding a bit-reflected CRC-32 accumulator forward by d bits multiplies its
low 64 bits by x^(d+32) and its high 64 bits by x^(d-32), both mod the zip
polynomial P, bit-reflected and shifted left by one (33-bit constants);
x^64 mod P folds 96 bits to 64 before the Barrett reduction."""
P = 0x104C11DB7


def x_power_mod_p(n):
    r = 1
    for _ in range(n):
        r <<= 1
        if r & (1 << 32):
            r ^= P
    return r


def constant(n):
    return int(format(x_power_mod_p(n), "032b")[::-1], 2) << 1


for d in (128, 512, 2048):
    print(f"fold by {d:4} bits: low x^{d + 32} -> {constant(d + 32):#011x}, high x^{d - 32} -> {constant(d - 32):#011x}")
print(f"96 to 64 bits: x^64 -> {constant(64):#011x}")
