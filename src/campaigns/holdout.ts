import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OfferChannel } from '../entities/offer-enums';
import { uuidArray } from '../services/pagination';

/**
 * Holdout groups and A/B variants, decided by a hash of (campaign, customer): nothing is stored to
 * decide them, so the assignment is the same on every instance, in every statement and after every
 * restart. The SQL twin is rapport_campaign_bucket (migration 20261205204836); the two must agree
 * (tests/unit/campaign-stats.test.ts checks them on the same pairs).
 *
 * A bucket is 0..9999. A customer is in a campaign's control group when
 *   bucket(campaign, customer, 'holdout') < controlPercent × 100,
 * and among a campaign's variants (offers with a weight, ordered by id) gets the one whose slice of
 * [0, Σ weights) holds floor(bucket(campaign, customer, 'variant') × Σ weights / 10000). Two salts,
 * so that being held out says nothing about the variant one would have got.
 */
export const BUCKETS = 10_000;
export const HOLDOUT_SALT = 'holdout';
export const VARIANT_SALT = 'variant';
/** Where HELD_OUT interactions come from; their source event id makes them once per campaign and customer. */
export const HOLDOUT_SOURCE = 'campaigns';
export const MAX_CONTROL_PERCENT = 50;

export function campaignBucket(campaignId: string, customerId: string, salt: string): number {
  const hex = createHash('md5').update(`${salt}:${campaignId}:${customerId}`).digest('hex');
  return parseInt(hex.slice(0, 8), 16) % BUCKETS;
}

export function isControl(campaignId: string, customerId: string, controlPercent: number): boolean {
  return controlPercent > 0 && campaignBucket(campaignId, customerId, HOLDOUT_SALT) < controlPercent * (BUCKETS / 100);
}

/** The variant (offer id) a customer gets among weighted offers; null when there are none. */
export function pickVariant(campaignId: string, customerId: string, variants: ReadonlyArray<{ id: string; weight: number }>): string | null {
  const sorted = [...variants].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const total = sorted.reduce((s, v) => s + v.weight, 0);
  if (!total) return null;
  const r = Math.floor((campaignBucket(campaignId, customerId, VARIANT_SALT) * total) / BUCKETS);
  let lo = 0;
  for (const v of sorted) {
    if (r < lo + v.weight) return v.id;
    lo += v.weight;
  }
  return null;
}

/** SQL: is customer `cust` in the control group of campaign row `camp` (with control_percent)? */
export const controlSql = (camp: string, cust: string): string =>
  `(${camp}.control_percent > 0 and rapport_campaign_bucket(${camp}.id, ${cust}, '${HOLDOUT_SALT}') < ${camp}.control_percent * ${BUCKETS / 100})`;

/**
 * SQL: the variants of every campaign with their slice of the weights, ordered by offer id. Every
 * weighted offer counts, whatever its status, so that pausing one variant does not move customers
 * between the others.
 */
export const VARIANT_SLICES_SQL = `select o.id, o.campaign_id, o.variant_weight as weight,
    sum(o.variant_weight) over (partition by o.campaign_id order by o.id) - o.variant_weight as lo,
    sum(o.variant_weight) over (partition by o.campaign_id) as total
  from offers o where o.variant_weight is not null and o.campaign_id is not null`;

/** SQL: does variant slice `v` (from VARIANT_SLICES_SQL) belong to customer `cust`? */
export const variantSql = (v: string, cust: string): string =>
  `(floor(rapport_campaign_bucket(${v}.campaign_id, ${cust}, '${VARIANT_SALT}')::bigint * ${v}.total / ${BUCKETS}) >= ${v}.lo
    and floor(rapport_campaign_bucket(${v}.campaign_id, ${cust}, '${VARIANT_SALT}')::bigint * ${v}.total / ${BUCKETS}) < ${v}.lo + ${v}.weight)`;

/**
 * Records HELD_OUT once per (campaign, customer) for control customers who just became eligible: one
 * statement, idempotent through the interactions' (source, source_event_id) key (interaction_event_keys). Pairs not in the
 * control group are ignored, so callers may pass every pair they held back.
 */
export async function recordHeldOut(em: EntityManager, pairs: ReadonlyArray<{ campaignId: string; customerId: string }>, channel: OfferChannel): Promise<void> {
  if (!pairs.length) return;
  await em.execute(
    `insert into interactions (customer_id, occurred_at, channel, type, campaign, properties, source, source_event_id)
     select x.customer_id, now(), ?, 'held_out', c.code, jsonb_build_object('campaignId', c.id), '${HOLDOUT_SOURCE}',
            'held-out:' || c.id || ':' || x.customer_id
     from unnest(?::uuid[], ?::uuid[]) as x(campaign_id, customer_id)
     join campaigns c on c.id = x.campaign_id
     join customers a on a.id = x.customer_id and a.status = 'active'
     where ${controlSql('c', 'x.customer_id')}
     /* a key stored before: the row is skipped by the trigger claiming interaction_event_keys */`,
    [channel, uuidArray(pairs.map((p) => p.campaignId)), uuidArray(pairs.map((p) => p.customerId))],
  );
}

/**
 * For the triggers (and any other sender): which of these customers are in the campaign's control
 * group. Those are recorded HELD_OUT (once) and must not be sent anything of the campaign. One
 * statement to decide, one to record when any is held out.
 */
export async function heldOutCustomers(em: EntityManager, campaignId: string, customerIds: readonly string[], channel: OfferChannel): Promise<Set<string>> {
  if (!customerIds.length) return new Set();
  const rows: Array<{ customer_id: string }> = await em.execute(
    `select x.customer_id from campaigns c cross join unnest(?::uuid[]) as x(customer_id)
     where c.id = ? and ${controlSql('c', 'x.customer_id')}`,
    [uuidArray(customerIds), campaignId],
  );
  const held = new Set(rows.map((r) => r.customer_id));
  await recordHeldOut(em, [...held].map((customerId) => ({ campaignId, customerId })), channel);
  return held;
}
