import type { BgNbdParams } from '../../src/analytics/models';

/**
 * Parameter sets shared by the model tests whose reference values come from mpmath
 * (scripts/model-references.py prints the tables for exactly these sets).
 */
export type SetName = 'CDNOW' | 'P2' | 'P3' | 'A1' | 'BIGA';
export const SETS: Record<SetName, BgNbdParams> = {
  // Fader, Hardie & Lee (2005), BG/NBD fitted to CDNOW.
  CDNOW: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
  P2: { r: 0.5, alpha: 10, a: 0.8, b: 2.5 },
  P3: { r: 2, alpha: 30, a: 3.5, b: 0.6 },
  // a = 1: the removable 0/0 of the literal E[Y(t)]; a ≫ 1: Euler's form would overflow, the literal one is used.
  A1: { r: 0.5, alpha: 10, a: 1, b: 2.5 },
  BIGA: { r: 0.5, alpha: 10, a: 2000, b: 5000 },
};
export const CDNOW = SETS.CDNOW;
/** Fader, Hardie & Lee (2005), Gamma-Gamma fitted to CDNOW's repeat buyers. */
export const CDNOW_GG = { p: 6.25, q: 3.74, v: 15.44 };

/** Relative error of `got` against a non-zero `want`. */
export const relErr = (got: number, want: number): number => Math.abs(got / want - 1);
