"""
Known answers for the seeded simulation of src/analytics/models/simulate.ts (tests/unit/models-fits.test.ts),
from an independent port of the published algorithms: mulberry32 (two 32-bit outputs per 53-bit uniform,
27 + 26 bits, + 1/2 so never 0), Box–Muller with the second normal kept for the next call, Marsaglia &
Tsang (2000) for Gamma(shape, rate) with shape < 1 as Gamma(shape + 1)·U^(1/shape), Beta as G1/(G1 + G2),
and the BG/NBD / MBG/NBD story of simulate.ts's header (acquisition uniform over the first weeks,
exponential inter-purchase times, a dropout coin after each purchase, and for the MBG/NBD one at the
first purchase too; per-transaction spend Gamma(p, ν) with ν ~ Gamma(q, v)).
Run: python3 scripts/simulation-reference.py (prints the rows pasted into the test).
"""
import math

M32 = 0xFFFFFFFF


def imul(a, b):
    r = (a * b) & M32
    return r - (1 << 32) if r & 0x80000000 else r


def rng(seed):
    st = {'s': seed & M32, 'spare': None}

    def next32():
        st['s'] = (st['s'] + 0x6D2B79F5) & M32
        t = st['s']
        t = imul(t ^ (t >> 15), t | 1) & M32
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        t &= M32
        return (t ^ (t >> 14)) & M32

    def uniform():
        hi = next32() >> 5
        lo = next32() >> 6
        return (hi * 67108864 + lo + 0.5) / 9007199254740992

    def normal():
        if st['spare'] is not None:
            v = st['spare']
            st['spare'] = None
            return v
        rad = math.sqrt(-2 * math.log(uniform()))
        th = 2 * math.pi * uniform()
        st['spare'] = rad * math.sin(th)
        return rad * math.cos(th)

    def gamma(shape, rate):
        if shape < 1:
            return gamma(shape + 1, rate) * uniform() ** (1 / shape)
        d = shape - 1 / 3
        c = 1 / math.sqrt(9 * d)
        while True:
            z = normal()
            v0 = 1 + c * z
            if v0 <= 0:
                continue
            v = v0 * v0 * v0
            if math.log(uniform()) < 0.5 * z * z + d - d * v + d * math.log(v):
                return d * v / rate

    def beta(a, b):
        g1 = gamma(a, 1)
        return g1 / (g1 + gamma(b, 1))

    return uniform, normal, gamma, beta


def simulate(model, P, n, seed, spend=None, acq=12, cal_end=39, end=78):
    uniform, _, gamma, beta = rng(seed)
    r, alpha, a, b = P
    out = []
    for _ in range(n):
        born = acq * uniform()
        lam = gamma(r, alpha)
        p = beta(a, b)
        nu = gamma(spend[1], spend[2]) if spend else 0
        alive = not (model == 'mbgnbd' and uniform() < p)
        x = tx = holdout = x_full = tx_full = 0
        total = 0.0
        t = 0.0
        while alive:
            t += -math.log(uniform()) / lam
            if born + t > end:
                break
            if born + t <= cal_end:
                x += 1
                tx = t
                if spend:
                    total += gamma(spend[0], nu)
            else:
                holdout += 1
            x_full += 1
            tx_full = t
            if uniform() < p:
                alive = False
        out.append(dict(x=x, tx=tx, T=cal_end - born, holdout=holdout, xFull=x_full, txFull=tx_full, TFull=end - born, mx=total / x if x > 0 else 0))
    return out


def show(rows):
    for c in rows:
        print('      { ' + ', '.join(f'{k}: {v!r}' for k, v in c.items()) + ' },')


u, nrm, g, bt = rng(42)
print('uniform(42):', [u() for _ in range(3)])
u, nrm, g, bt = rng(3)
print('rng(3): normal ×3, gamma(2.5, 4), gamma(0.3, 2), gamma(1, 1), beta(0.8, 2.5):')
print([nrm(), nrm(), nrm(), g(2.5, 4), g(0.3, 2), g(1, 1), bt(0.8, 2.5)])
print("simulate bgnbd P2 (r 0.5, α 10, a 0.8, b 2.5), seed 11, spend (6, 4, 15), 8 customers:")
show(simulate('bgnbd', (0.5, 10, 0.8, 2.5), 8, 11, spend=(6, 4, 15)))
print("simulate mbgnbd (r 2, α 3, a 1, b 6), seed 4, windows 5/10/30, 6 customers:")
show(simulate('mbgnbd', (2, 3, 1, 6), 6, 4, acq=5, cal_end=10, end=30))
