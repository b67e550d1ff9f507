/**
 * Discounted customer lifetime value over a finite horizon, the way lifetimes'
 * `GammaGammaFitter.customer_lifetime_value` does it: cut the horizon into months, take the purchases
 * the BG/NBD expects in each month as the difference of the cumulative E[Y(t)], value them at the
 * Gamma-Gamma expected spend, and discount month i by (1 + d)^i.
 *
 * Why months with a monthly rate: marketing budgets and discount rates are quoted per month or year,
 * and discounting each month's purchases at the month's END is a deliberate, slightly conservative
 * convention (lifetimes' too). Why an explicit periodsPerMonth: the BG/NBD clock is in the fit's unit
 * (weeks in Rapport), so "month i" is t = i · periodsPerMonth model units. Rapport uses the calendar
 * average 365.25/12 days (= 4.348 weeks); lifetimes hard-codes 4.345 weeks or 30 days, which differs by
 * < 0.1 % (weeks) / 1.4 % (days) in the horizon and so slightly in the figures.
 */
import { BetaGeoModel, BgNbdParams, betaGeoExpectedIfAlive, bgNbdProbabilityAlive } from './bgnbd';

/** Average month in days and in weeks (Gregorian year 365.25 days / 12). */
export const DAYS_PER_MONTH = 365.25 / 12;
export const WEEKS_PER_MONTH = DAYS_PER_MONTH / 7;

export interface ClvOptions {
  /** Horizon in months (default 12). */
  horizonMonths?: number;
  /** Discount rate per month (default 0.01, i.e. ≈ 12.7 % a year). */
  monthlyDiscountRate?: number;
  /** BG/NBD time units per month: WEEKS_PER_MONTH (default) when fitted in weeks, DAYS_PER_MONTH in days. */
  periodsPerMonth?: number;
}

/**
 * Σ_{i=1..H} (E[Y(i·u)] − E[Y((i−1)·u)]) / (1+d)^i with u = periodsPerMonth: the discounted number
 * of purchases over the horizon. Kept separate from the spend so that a caller can compute it once per
 * (x, t_x, T) group and multiply by each customer's own expected spend.
 */
export function discountedExpectedPurchases(params: BgNbdParams, x: number, tx: number, T: number, opts: ClvOptions = {}): number {
  return bgNbdProbabilityAlive(params, x, tx, T) * discountedPurchasesIfAlive('bgnbd', params, x, T, opts);
}

/**
 * The same sum for a customer known to be alive at T. P(alive) is a common factor of every E[Y(t)], so
 * the discounted purchases are P(alive) × this, and this depends on (x, T) only, not on t_x.
 */
export function discountedPurchasesIfAlive(model: BetaGeoModel, params: BgNbdParams, x: number, T: number, opts: ClvOptions = {}): number {
  const horizon = opts.horizonMonths ?? 12;
  const d = opts.monthlyDiscountRate ?? 0.01;
  const u = opts.periodsPerMonth ?? WEEKS_PER_MONTH;
  if (!Number.isInteger(horizon) || horizon < 0) throw new RangeError(`horizonMonths must be a whole number ≥ 0, got ${horizon}`);
  if (!(d > -1)) throw new RangeError(`monthlyDiscountRate must be > −1, got ${d}`);
  if (!(u > 0)) throw new RangeError(`periodsPerMonth must be > 0, got ${u}`);
  let prev = 0;
  let total = 0;
  for (let i = 1; i <= horizon; i++) {
    const e = betaGeoExpectedIfAlive(model, params, i * u, x, T);
    total += (e - prev) / (1 + d) ** i;
    prev = e;
  }
  return total;
}

/**
 * Discounted CLV over the horizon = expected spend per transaction × discounted expected purchases,
 * in the unit of `expectedSpend` (Rapport: minor units of the customer's order currency). Margin is not
 * applied: multiply the spend by a margin first if profit rather than revenue is wanted.
 */
export function discountedClv(params: BgNbdParams, x: number, tx: number, T: number, expectedSpend: number, opts: ClvOptions = {}): number {
  return expectedSpend * discountedExpectedPurchases(params, x, tx, T, opts);
}
