"""
Known answers for src/analytics/models/optimize.ts (tests/unit/models-fits.test.ts): an independent port
of the algorithm its comment documents — BFGS (Nocedal & Wright 2006, alg. 6.1) with the inverse
Hessian of the first step scaled by sᵀy/yᵀy (eq. 6.20), the update (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ only when
sᵀy > 1e−12·|s||y|, a backtracking line search (halving, at most 60 steps) under the Armijo condition
with c₁ = 1e−4 that gives up when the decrease the step could give is below 1e−15·(1 + |f|), the first
step of each run at most a unit move in the largest coordinate, steepest descent from a fresh H when
H·g is not a descent direction, non-finite f or ∇f counted as f = +∞, a stop when every |∂f| ≤ gTol or
after 10 consecutive steps that each gain ≤ fTol·(1 + |f|), and restarts from the best point with a
fresh H until a restart gains ≤ confirmTol·(1 + |f|) (converged) or the budgets run out.
Run: python3 scripts/bfgs-reference.py (prints the results pasted into the test).
"""
import math


def bfgs(fg, x0, gTol=1e-9, fTol=1e-13, confirmTol=1e-10, maxIterations=1000, maxRestarts=5):
    n = len(x0)
    evals = [0]

    def evaluate(x):
        evals[0] += 1
        f, g = fg(x)
        if math.isfinite(f) and all(math.isfinite(v) for v in g):
            return f, g
        return math.inf, g

    x = list(x0)
    f, g = evaluate(x)
    if not math.isfinite(f):
        return dict(x=x, f=f, iterations=0, evaluations=evals[0], restarts=0, converged=False)
    iterations = restarts = 0
    converged = False
    small = lambda gr: all(abs(v) <= gTol for v in gr)
    dot = lambda u, v: sum(a * b for a, b in zip(u, v))
    eye = lambda: [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    while True:
        f_start = f
        H = eye()
        first = True
        stall = 0
        done = small(g)
        while not done and iterations < maxIterations:
            d = [-dot(row, g) for row in H]
            slope = dot(g, d)
            if not slope < 0:
                H = eye()
                first = True
                d = [-v for v in g]
                slope = dot(g, d)
            t = min(1, 1 / max(abs(v) for v in d)) if first else 1
            accepted = False
            k = 0
            while k < 60 and -t * slope > 1e-15 * (1 + abs(f)):
                xn = [v + t * di for v, di in zip(x, d)]
                fn, gn = evaluate(xn)
                if fn <= f + 1e-4 * t * slope:
                    accepted = True
                    break
                t *= 0.5
                k += 1
            if not accepted:
                break
            iterations += 1
            s = [a - b for a, b in zip(xn, x)]
            y = [a - b for a, b in zip(gn, g)]
            gain = f - fn
            x, f, g = xn, fn, gn
            stall = stall + 1 if gain <= fTol * (1 + abs(f)) else 0
            if small(g) or stall >= 10:
                done = True
            sy = dot(s, y)
            if sy > 1e-12 * math.sqrt(dot(s, s) * dot(y, y)):
                if first:
                    scale = sy / dot(y, y)
                    H = [[v * scale for v in row] for row in eye()]
                    first = False
                rho = 1 / sy
                Hy = [dot(row, y) for row in H]
                yHy = dot(y, Hy)
                H = [[H[i][j] + (-rho * (s[i] * Hy[j] + Hy[i] * s[j]) + (rho * rho * yHy + rho) * s[i] * s[j]) for j in range(n)] for i in range(n)]
        if restarts > 0 and f_start - f <= confirmTol * (1 + abs(f)):
            converged = True
            break
        if restarts >= maxRestarts or iterations >= maxIterations:
            break
        restarts += 1
    return dict(x=x, f=f, iterations=iterations, evaluations=evals[0], restarts=restarts, converged=converged)


def rosen(x):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2, [-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)]


def quad(x):
    return (x[0] - 1) ** 2 + 10 * (x[1] + 2) ** 2 + 0.5 * (x[2] - 3) ** 2, [2 * (x[0] - 1), 20 * (x[1] + 2), x[2] - 3]


# A coupled quadratic in 3 dimensions (A = [[3, 1, 0.5], [1, 2, 0.3], [0.5, 0.3, 1]], minimum at (1, −1, 2)).
A = [[3, 1, 0.5], [1, 2, 0.3], [0.5, 0.3, 1]]
def coupled(x):
    d = [x[0] - 1, x[1] + 1, x[2] - 2]
    Ad = [sum(A[i][j] * d[j] for j in range(3)) for i in range(3)]
    return 0.5 * sum(d[i] * Ad[i] for i in range(3)), Ad


def offset(fg, c):
    return lambda x: (lambda fg_: (fg_[0] + c, fg_[1]))(fg(x))


def flat(x):
    """A plateau at 1000 with a slope the values cannot show: steps that gain exactly 0 (f + 1e−4·t·slope rounds to f)."""
    return 1000.0, [1.0]


def cliff(x):
    """f = −1e4·x inside x ≤ 1.5·2⁻⁶⁰, undefined beyond: only the 61st halving of the unit step would land inside."""
    return (-1e4 * x[0], [-1e4]) if x[0] <= 1.5 * 2 ** -60 else (math.nan, [math.nan])


for name, fg, x0, opts in [
    ('rosen', rosen, [-1.2, 1], {}),
    ('rosen fTol 1, 2 restarts', rosen, [-1.2, 1], dict(fTol=1, maxRestarts=2)),
    ('rosen fTol 1, confirmTol 1e6', rosen, [-1.2, 1], dict(fTol=1, confirmTol=1e6)),
    ('quad', quad, [0, 0, 0], {}),
    ('coupled', coupled, [4, 3, -2], {}),
    ('coupled + 1000', offset(coupled, 1000), [4, 3, -2], {}),
    ('rosen + 1000, fTol 1, confirmTol 0.01', offset(rosen, 1000), [-1.2, 1], dict(fTol=1, confirmTol=0.01)),
    ('flat', flat, [0], {}),
    ('flat, fTol 0', flat, [0], dict(fTol=0)),
    ('cliff', cliff, [0], {}),
]:
    print(name, bfgs(fg, x0, **opts))
