import { OfferGoal } from '../entities/offer-enums';
import { ValueTier } from '../analytics/enums';

/**
 * Next-best-offer scoring, pure so it can be tested apart from SQL (README "Offers and next-best offer").
 *
 *   base      = (accepted + α) / (max(shown, accepted + rejected) + α + β)        Beta(α=1, β=9) prior: 10 %, worth 10 showings
 *   own       = 0.3 ^ (times this customer rejected the offer)
 *             × 0.8 ^ (showings in the last 30 days beyond the customer's responses in them: fatigue)
 *   metrics   = WIN_BACK:   0.4 + 1.2 × churn_risk                    (0.4 … 1.6)
 *               LOYALTY:    value tier most_valuable 1.5, most_growable 1.2, maintain 1, below_zero 0.6
 *               CROSS_SELL: 0.5 + P(alive)                            (0.5 … 1.5)
 *               GENERAL, or no metrics yet: 1
 *   P(accept) = min(0.95, base × own × metrics)
 *   worth     = (10 × value + attributed revenue) / (10 + max(accepted, attributed converters))
 *               the declared value of one acceptance, moving toward the revenue each acceptance of this
 *               offer (each A/B variant is an offer) actually brought, as evidence accumulates: the
 *               declared value counts as 10 acceptances' worth (the same strength as the Beta prior)
 *   expected value = score = P(accept) × worth (minor units of the offer's currency)
 */
export const PRIOR_ACCEPTS = 1;
export const PRIOR_REJECTS = 9;
export const REJECTION_FACTOR = 0.3;
export const FATIGUE_FACTOR = 0.8;
export const FATIGUE_DAYS = 30;
export const MAX_P_ACCEPT = 0.95;
/** How many acceptances the declared value is worth against attributed revenue. */
export const PRIOR_VALUE_WEIGHT = PRIOR_ACCEPTS + PRIOR_REJECTS;

const TIER_FACTOR: Record<string, number> = {
  [ValueTier.MOST_VALUABLE]: 1.5, [ValueTier.MOST_GROWABLE]: 1.2, [ValueTier.MAINTAIN]: 1, [ValueTier.BELOW_ZERO]: 0.6,
};

export interface OfferHistory {
  /** Population counters of the offer. */
  shown: number;
  accepted: number;
  rejected: number;
  /** This customer's own responses. */
  ownRejected: number;
  ownShownRecent: number;
  ownRespondedRecent: number;
  /** Revenue of orders attributed to the offer and the customers who placed them (analytics run). */
  attributedRevenueMinor?: number;
  attributedConverters?: number;
}

export interface CustomerSignals {
  churnRisk: number | null;
  pAlive: number | null;
  valueTier: string | null;
}

export interface OfferScore {
  pAccept: number;
  expectedValueMinor: number;
  reason: string;
}

export function baseAcceptance(h: Pick<OfferHistory, 'shown' | 'accepted' | 'rejected'>): number {
  const n = Math.max(h.shown, h.accepted + h.rejected);
  return (h.accepted + PRIOR_ACCEPTS) / (n + PRIOR_ACCEPTS + PRIOR_REJECTS);
}

function metricsFactor(goal: OfferGoal, m: CustomerSignals): { factor: number; why: string | null } {
  switch (goal) {
    case OfferGoal.WIN_BACK:
      return m.churnRisk == null ? { factor: 1, why: null } : { factor: 0.4 + 1.2 * m.churnRisk, why: `churn risk ${m.churnRisk.toFixed(2)}` };
    case OfferGoal.LOYALTY:
      return m.valueTier == null ? { factor: 1, why: null } : { factor: TIER_FACTOR[m.valueTier] ?? 1, why: `value tier ${m.valueTier}` };
    case OfferGoal.CROSS_SELL:
      return m.pAlive == null ? { factor: 1, why: null } : { factor: 0.5 + m.pAlive, why: `P(alive) ${m.pAlive.toFixed(2)}` };
    case OfferGoal.GENERAL:
      return { factor: 1, why: null };
  }
}

/** The worth of one acceptance: the declared value, shrunk toward the attributed revenue per acceptance. */
export function learnedValue(valueMinor: number, h: Pick<OfferHistory, 'accepted' | 'attributedRevenueMinor' | 'attributedConverters'>): number {
  const n = Math.max(h.accepted, h.attributedConverters ?? 0);
  const revenue = h.attributedRevenueMinor ?? 0;
  if (n === 0 || revenue === 0) return valueMinor;
  return (PRIOR_VALUE_WEIGHT * valueMinor + revenue) / (PRIOR_VALUE_WEIGHT + n);
}

export function scoreOffer(goal: OfferGoal, valueMinor: number, h: OfferHistory, m: CustomerSignals): OfferScore {
  const base = baseAcceptance(h);
  const worth = learnedValue(valueMinor, h);
  const fatigue = Math.max(0, h.ownShownRecent - h.ownRespondedRecent);
  const own = REJECTION_FACTOR ** h.ownRejected * FATIGUE_FACTOR ** fatigue;
  const metrics = metricsFactor(goal, m);
  const pAccept = Math.min(MAX_P_ACCEPT, base * own * metrics.factor);
  const parts = [`${h.accepted} of ${Math.max(h.shown, h.accepted + h.rejected)} shown accepted (smoothed ${(base * 100).toFixed(1)} %)`];
  if (metrics.why) parts.push(`${metrics.why} ×${metrics.factor.toFixed(2)}`);
  if (h.ownRejected) parts.push(`rejected ${h.ownRejected}× before ×${(REJECTION_FACTOR ** h.ownRejected).toFixed(2)}`);
  if (fatigue) parts.push(`shown ${fatigue}× lately without response ×${(FATIGUE_FACTOR ** fatigue).toFixed(2)}`);
  if (worth !== valueMinor) parts.push(`worth ${Math.round(worth)} per acceptance from attributed revenue`);
  return { pAccept, expectedValueMinor: pAccept * worth, reason: parts.join('; ') };
}
