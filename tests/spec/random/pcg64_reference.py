"""Expected values of random/seeded.gene, computed independently of the Rust
crates: a port of the PCG reference's pcg64 (pcg_variants.h) and of the
derivations documented in runtime/vm/src/builtins/random.rs.

Run: python3 pcg64_reference.py
"""
M = 0x2360ED051FC65DA44385DF649FCCF645
MASK = (1 << 128) - 1
class Pcg64:
    def __init__(self, initstate, initseq):
        # pcg_setseq_128_srandom_r
        self.state = 0
        self.inc = ((initseq << 1) | 1) & MASK
        self.step()
        self.state = (self.state + initstate) & MASK
        self.step()
    def step(self):
        self.state = (self.state * M + self.inc) & MASK
    def next(self):
        # pcg_setseq_128_xsl_rr_64_random_r
        self.step()
        s = self.state
        x = ((s >> 64) ^ s) & ((1 << 64) - 1)
        rot = s >> 122
        return ((x >> rot) | (x << ((64 - rot) & 63))) & ((1 << 64) - 1)
STREAM = 0xa02bdbf7bb3c0a7ac28fa16a64abf96
U64 = (1 << 64) - 1
class GeneRandom:
    def __init__(self, seed):
        self.g = Pcg64(seed & U64, STREAM)
    def below(self, s):
        # Lemire's widening multiply with rejection; s in 1..2^64 (2^64 as 0)
        if s == 0:
            return self.g.next()
        t = ((1 << 64) - s) % s
        while True:
            x = self.g.next()
            m = x * s
            l = m & U64
            if l >= t:
                return m >> 64
    def int(self, lo, hi):
        s = (hi - lo + 1) & U64
        v = self.below(s)
        r = (lo + v) & U64
        return r - (1 << 64) if r >= (1 << 63) else r
    def float(self):
        return (self.g.next() >> 11) * (2.0 ** -53)
    def shuffle(self, a):
        a = list(a)
        for i in range(len(a) - 1, 0, -1):
            j = self.int(0, i)
            a[i], a[j] = a[j], a[i]
        return a
    def choice(self, a):
        return a[self.int(0, len(a) - 1)]

if __name__ == "__main__":
    r = Pcg64(42, 54)  # the reference check program's first outputs
    assert r.next() == 0x86B1DA1D72062B68 and r.next() == 0x1304AA46C9853D39
    g = GeneRandom(42)
    print(g.int(1, 6), g.int(1, 6), g.int(1, 6), g.int(-1000000, 1000000),
          g.int(-9223372036854775807, 9223372036854775807))
    print(repr(g.float()), repr(g.float()))
    print(g.choice(["a", "b", "c"]), g.shuffle([1, 2, 3, 4, 5, 6, 7, 8]), g.int(0, 9), repr(g.float()))
    g = GeneRandom(42)
    print(g.int(1, 6))
    g = GeneRandom(-1)
    print(g.int(0, 99), g.int(0, 99), g.int(0, 99))
