"""
Reference values for tests/unit/models-closed-forms.test.ts, computed with mpmath (arbitrary precision, 50
digits) straight from the closed forms in the literature — independently of src/analytics/models:
  BG/NBD likelihood, P(alive), E[Y(t)]: Fader, Hardie & Lee (2005) eqs. 6, 10 and the 2008 P(alive) note;
  MBG/NBD: Batislam, Denizel & Filiztekin (2007) eqs. 9, 10; Gamma-Gamma: Fader & Hardie (2013).
Run: python3 scripts/model-references.py (prints the tables pasted into the test).
"""
from mpmath import mp, mpf, loggamma, hyp2f1, log, beta, gamma
mp.dps = 50
F = lambda v: repr(float(v))

def LL(model, P, x, tx, T):
    r, al, a, b = [mpf(v) for v in P]; x = mpf(x); tx = mpf(tx); T = mpf(T)
    g = gamma(r + x) * al**r / gamma(r)
    if model == 'bgnbd':
        L = beta(a, b + x) / beta(a, b) * g / (al + T)**(r + x)
        if x > 0: L += beta(a + 1, b + x - 1) / beta(a, b) * g / (al + tx)**(r + x)
    else:
        L = beta(a, b + x + 1) / beta(a, b) * g * ((al + T)**(-(r + x)) + a / (b + x) * (al + tx)**(-(r + x)))
    return log(L)

def PA(model, P, x, tx, T):
    r, al, a, b = [mpf(v) for v in P]; x = mpf(x); tx = mpf(tx); T = mpf(T)
    s = 0 if model == 'bgnbd' else 1
    if x + s <= 0: return mpf(1)
    return 1 / (1 + a / (b + x + s - 1) * ((al + T) / (al + tx))**(r + x))

def EIA(model, P, t, x, T):
    """E[Y(t) | alive at T]; at a = 1 the removable 0/0 is taken 1e-35 away."""
    r, al, a, b = [mpf(v) for v in P]; x = mpf(x); T = mpf(T); t = mpf(t)
    if a == 1: a = mpf(1) + mpf(10)**-35
    if model == 'mbgnbd': b = b + 1
    C = a + b + x - 1; z = t / (al + T + t)
    return C / (a - 1) * (1 - ((al + T) / (al + T + t))**(r + x) * hyp2f1(r + x, b + x, C, z))

def PNP(model, P, t, x, tx, T):
    r, al, a, b = [mpf(v) for v in P]
    return 1 - PA(model, P, x, tx, T) * (1 - ((al + T) / (al + T + t))**(r + x))

sets = {'CDNOW': (0.243, 4.414, 0.793, 2.426), 'P2': (0.5, 10, 0.8, 2.5), 'P3': (2, 30, 3.5, 0.6), 'A1': (0.5, 10, 1, 2.5), 'BIGA': (0.5, 10, 2000, 5000)}
pts = [(10, 0, 0, 38.86), (39, 2, 30.43, 38.86), (200, 7, 12, 52), (5, 26, 30.86, 31), (52, 0, 0, 1), (3, 1, 0.5, 0.5)]
print('// [set, model, t, x, tx, T, lnL, P(alive), E[Y(t)], P(no purchase in t)]')
for name, P in sets.items():
    for model in ['bgnbd', 'mbgnbd']:
        for (t, x, tx, T) in pts:
            if name == 'BIGA' and t == 52: continue  # mpmath's 2F1 overflows there
            print(f"['{name}', '{model}', {t}, {x}, {tx}, {T}, {F(LL(model, P, x, tx, T))}, {F(PA(model, P, x, tx, T))}, "
                  f"{F(EIA(model, P, t, x, T) * PA(model, P, x, tx, T))}, {F(PNP(model, P, t, x, tx, T))}],")
print('// new customer E[X(39)]')
for name, P in sets.items():
    for model in ['bgnbd', 'mbgnbd']:
        print(f"['{name}', '{model}', {F(EIA(model, P, 39, 0, 0))}],")
print('// Gamma-Gamma ln f')
def GGLL(P, x, m):
    p, q, v = [mpf(u) for u in P]; x = mpf(x); m = mpf(m)
    return loggamma(p*x + q) - loggamma(p*x) - loggamma(q) + q*log(v) + (p*x - 1)*log(m) + p*x*log(x) - (p*x + q)*log(v + x*m)
for P in [(6.25, 3.74, 15.44), (0.8, 1.5, 2000)]:
    for x, m in [(1, 20), (2, 35.5), (25, 90), (3, 4000)]:
        print(f"[{list(P)}, {x}, {m}, {F(GGLL(P, x, m))}],")
print('// discounted purchases if alive')
def clv(model, P, x, T, H=12, d=0.01, u=mpf(365.25) / 12 / 7):
    tot = 0; prev = 0
    for i in range(1, H + 1):
        e = EIA(model, P, i * u, x, T); tot += (e - prev) / (1 + mpf(d))**i; prev = e
    return tot
print('defaults CDNOW bgnbd x=2 T=38.86', F(clv('bgnbd', sets['CDNOW'], 2, 38.86)))
print('defaults CDNOW mbgnbd x=2 T=38.86', F(clv('mbgnbd', sets['CDNOW'], 2, 38.86)))
print('H=3 d=0.05 u=1 P2 bgnbd x=5 T=20', F(clv('bgnbd', sets['P2'], 5, 20, 3, 0.05, 1)))
print('H=2 d=-0.5 u=2 P2 bgnbd x=0 T=10', F(clv('bgnbd', sets['P2'], 0, 10, 2, -0.5, 2)))
print('// ROUTE_TABLE: E[Y(t) | alive] where the forms of bgnbd.ts disagree')
route_sets = {'Q1': (0.5, 10, 2000, 1), 'Q3': (3, 10, 50, 0.5), 'A0': (0.5, 10, 1, 0.5)}
for name, model, t, x, T in [('Q1', 'bgnbd', 55, 100, 100), ('Q1', 'mbgnbd', 55, 100, 100), ('Q1', 'bgnbd', 33, 100, 100),
                             ('Q1', 'bgnbd', 20, 100, 100), ('Q3', 'bgnbd', 50, 20, 90), ('Q3', 'mbgnbd', 50, 20, 90),
                             ('A0', 'bgnbd', 39, 2, 38.86), ('A0', 'mbgnbd', 39, 2, 38.86)]:
    print(f"['{name}', '{model}', {t}, {x}, {T}, {F(EIA(model, route_sets[name], t, x, T))}],")
print('// HEAVY_LL: ln L of a heavy buyer, P2')
for model in ['bgnbd', 'mbgnbd']:
    for x, tx, T in [(1000, 1, 100), (1000, 99, 100)]:
        print(f"['{model}', {x}, {tx}, {T}, {F(LL(model, sets['P2'], x, tx, T))}],")
print('// DIGAMMA_DIFF: psi(x + d) - psi(x), for the analytic gradients of the fits')
from mpmath import digamma
for x, d in [(0.3, 5), (2.5, 0.7), (1e7, 3.25), (0.01, 1e6), (4e-8, 2e5), (20, 100.5), (1.5, 64), (1.5, 65), (3.75, 0.0009765625), (1e-3, 2.5), (12.5, 7.25), (10, 0.25), (5.5, -2), (7.25, -3), (9.5, 0.001), (3.2, 1e-7), (1e6, 1e-3)]:
    print(f"[{x}, {d}, {F(digamma(mpf(x) + mpf(d)) - digamma(mpf(x)))}],")
print('// ln 2F1 for tests/unit/models-special.test.ts: both series forms pass the double range before they converge')
for a, b, c, z in [(1000.5, 1000.25, 2001.75, 0.9)]:
    print(f"[{a}, {b}, {c}, {z}, {F(log(hyp2f1(a, b, c, z)))}],")
