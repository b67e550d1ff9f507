import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName } from '@mikro-orm/core';
import { ConsentRecord, Customer, CustomerMetrics, Feedback, Identity, Interaction, Order, OrderLine, Product, SegmentMembership } from '../entities';
import { consentInForceOrder } from '../entities/consent-record.entity';
import { createChildPageLoader, groupBy } from './child-page.loader';
import { createTimelineLoader } from './timeline.loader';
import { createMergeLoaders } from './merges.loader';
import { createOfferLoaders } from './offers.loader';
import { createPreferenceLoaders } from './preferences.loader';
import { createRecommendationLoaders } from './recommendations.loader';
import { createLifecycleHistoryLoader } from './lifecycle-history.loader';
import { uuidArray } from '../services/pagination';
import { lightMapper } from '../db/light-map';
import { PROFILING_OBJECTION } from '../auth/policy';
import { ownContactSql, paramsBind, type ContactColumn } from '../auth/own-contact';
import { executeBound } from '../db/bound-query';
import type { Keyring } from '../auth/pseudonyms';
import { countCurrentMembers } from '../analytics/segments.service';

/**
 * The keyset pages and child lists of a customer, as the loaders read them. The read planner
 * (src/planner) compiles the same pages into its SQL from these, so both paths page alike.
 */
export const PAGE_SPECS = {
  orders: { entity: Order, table: 'orders', parentColumn: 'customer_id', sortColumn: 'placed_at', sortCast: 'timestamptz' },
  interactions: { entity: Interaction, table: 'interactions', parentColumn: 'customer_id', sortColumn: 'occurred_at', sortCast: 'timestamptz' },
  feedback: { entity: Feedback, table: 'feedback', parentColumn: 'customer_id', sortColumn: 'submitted_at', sortCast: 'timestamptz' },
  consentHistory: { entity: ConsentRecord, table: 'consent_records', parentColumn: 'customer_id', sortColumn: 'seq', sortCast: 'bigint' },
} as const;
/** Pages whose parent is a segment (Segment.entered, .left, .customers). */
export const SEGMENT_PAGE_SPECS = {
  entered: { entity: SegmentMembership, table: 'segment_memberships', parentColumn: 'segment_id', sortColumn: 'entered_at', sortCast: 'timestamptz' },
  left: { entity: SegmentMembership, table: 'segment_memberships', parentColumn: 'segment_id', sortColumn: 'left_at', sortCast: 'timestamptz' },
  customers: {
    entity: Customer, table: 'customers', parentColumn: 'id', sortColumn: 'created_at', sortCast: 'timestamptz',
    parentMatch: 'exists (select 1 from segment_memberships sm where sm.segment_id = k.parent_id and sm.customer_id = c.id and sm.left_at is null)',
  },
} as const;
export const IDENTITIES_ORDER = ['kind', 'namespace', 'value'] as const;
export const LINES_ORDER = ['position'] as const;

/** Loads entities by primary key: one `where id = any(…)` per batch. */
function byIdLoader<T extends object>(em: EntityManager, entity: EntityName<T>, table: string) {
  const map = lightMapper(em, entity);
  return new DataLoader<string, T | null>(async (ids) => {
    const rows: Array<Record<string, unknown>> = await em.execute(`select * from ${table} where id = any(?::uuid[])`, [uuidArray(ids)]);
    const byId = new Map(rows.map((r) => [String(r.id), map(r)]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads all children of many parents in one statement (for small, bounded child sets). */
function childrenLoader<T extends object>(em: EntityManager, entity: EntityName<T>, table: string, parentColumn: string, orderBy: string) {
  const map = lightMapper(em, entity);
  return new DataLoader<string, T[]>(async (parentIds) => {
    const rows: Array<Record<string, unknown>> = await em.execute(
      `select * from ${table} where ${parentColumn} = any(?::uuid[]) order by ${orderBy}`,
      [uuidArray(parentIds)],
    );
    const grouped = groupBy(rows, (r) => String(r[parentColumn]));
    return parentIds.map((id) => (grouped.get(id) ?? []).map(map));
  });
}

/**
 * Loads the children of many parents that belong to known customers, filtering on customer_id as
 * well: under Citus (README "Scaling out") the read then touches only those customers' shards.
 */
function customerChildrenLoader<T extends object>(em: EntityManager, entity: EntityName<T>, table: string, parentColumn: string, orderBy: string) {
  const map = lightMapper(em, entity);
  return new DataLoader<{ customerId: string; parentId: string }, T[], string>(
    async (keys) => {
      const rows: Array<Record<string, unknown>> = await em.execute(
        `select * from ${table} where customer_id = any(?::uuid[]) and ${parentColumn} = any(?::uuid[]) order by ${orderBy}`,
        [uuidArray([...new Set(keys.map((k) => k.customerId))]), uuidArray(keys.map((k) => k.parentId))],
      );
      const grouped = groupBy(rows, (r) => String(r[parentColumn]));
      return keys.map((k) => (grouped.get(k.parentId) ?? []).map(map));
    },
    { cacheKeyFn: (k) => k.parentId },
  );
}

/** PROFILING_OBJECTION at read time: the light (unmanaged, never flushed) instance loses its model-based scores. */
export function withholdModelScores(m: CustomerMetrics, profilingConsent: string): CustomerMetrics {
  if (!PROFILING_OBJECTION.withheldWhen.includes(profilingConsent)) return m;
  m.modelScoresWithheld = `PROFILING consent ${profilingConsent}`;
  m.pAlive = null;
  m.predictedPurchases12m = null;
  m.expectedSpendMinor = null;
  m.clv12mMinor = null;
  m.marginClv12mMinor = null;
  m.churnRisk = null;
  // Value tier (CLV rank, P(alive)) and lifecycle stage (P(alive)) are derived from the model outputs.
  m.valueTier = null;
  m.lifecycleStage = null;
  return m;
}

/**
 * The request's DataLoaders. Created only in the request context, on the request's EntityManager fork,
 * so that caching never crosses requests (nor viewers). `keyring`: the server's pseudonym keys (the
 * suppression list's digests). `writeEm`: the primary, where the few writes a
 * read makes go (HELD_OUT records) when `em` reads from a replica.
 */
export function createLoaders(em: EntityManager, keyring: Keyring, writeEm: EntityManager = em) {
  const metrics = lightMapper(em, CustomerMetrics);
  const consentRecord = lightMapper(em, ConsentRecord);
  return {
    customerById: byIdLoader(em, Customer, 'customers'),
    productById: byIdLoader(em, Product, 'products'),
    orderById: byIdLoader(em, Order, 'orders'),
    interactionById: byIdLoader(em, Interaction, 'interactions'),
    feedbackById: byIdLoader(em, Feedback, 'feedback'),
    consentRecordById: byIdLoader(em, ConsentRecord, 'consent_records'),
    metricsByCustomer: new DataLoader<string, CustomerMetrics | null>(async (ids) => {
      const rows: Array<Record<string, unknown>> = await em.execute(
        `select m.*, rapport_consent_status(m.customer_id, ?, ?) as profiling_consent from customer_metrics m where m.customer_id = any(?::uuid[])`,
        [PROFILING_OBJECTION.purpose, PROFILING_OBJECTION.channel, uuidArray(ids)],
      );
      const byId = new Map(rows.map((r) => [String(r.customer_id), withholdModelScores(metrics(r), String(r.profiling_consent))]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    identitiesByCustomer: childrenLoader(em, Identity, 'identities', 'customer_id', IDENTITIES_ORDER.join(', ')),
    linesByOrder: customerChildrenLoader(em, OrderLine, 'order_lines', 'order_id', LINES_ORDER.join(', ')),
    /** Current consent state: the newest decision per (purpose, channel), by recordedAt (rapport_consent_status). */
    currentConsentsByCustomer: new DataLoader<string, ConsentRecord[]>(async (customerIds) => {
      const rows: Array<Record<string, unknown>> = await em.execute(
        `select distinct on (customer_id, purpose, channel) * from consent_records
         where customer_id = any(?::uuid[])
         order by customer_id, purpose, channel, ${consentInForceOrder()}`,
        [uuidArray(customerIds)],
      );
      const grouped = groupBy(rows, (r) => String(r.customer_id));
      return customerIds.map((id) => (grouped.get(id) ?? []).map(consentRecord));
    }),
    /** Consent in force per `customerId|purpose|channel` (see rapport_consent_status): one statement per batch. */
    consentStatus: new DataLoader<string, string>(async (keys) => {
      const wanted = keys.map((k) => {
        const [customer_id, purpose, channel] = k.split('|');
        return { customer_id, purpose, channel };
      });
      const rows: Array<{ k: string; status: string }> = await em.execute(
        `select w.customer_id || '|' || w.purpose || '|' || w.channel as k, rapport_consent_status(w.customer_id, w.purpose, w.channel) as status
         from jsonb_to_recordset(?::jsonb) as w(customer_id uuid, purpose text, channel text)`,
        [JSON.stringify(wanted)],
      );
      const byKey = new Map(rows.map((r) => [r.k, r.status]));
      return keys.map((k) => byKey.get(k) ?? 'none');
    }),
    /**
     * Whether a customer's contact address (`customerId|email`, `customerId|phone`) is their own to be
     * reached at (src/auth/own-contact.ts; OWN_CONTACT_FIELDS): one statement per batch.
     */
    ownContact: new DataLoader<string, boolean>(async (keys) => {
      const wanted = keys.map((k) => k.split('|') as [string, ContactColumn]);
      // Only the columns asked for (each check is an HMAC per key of the ring and two index probes per row).
      const columns = [...new Set(wanted.map(([, c]) => c))];
      // The keys' pads are bound as parameters, never spliced into the text (see ownContactSql).
      const { bind, params } = paramsBind();
      const text = `select c.id, ${columns.map((c) => `${ownContactSql(c, 'c', keyring, bind)} as ${c}`).join(', ')}
         from customers c where c.id = any(?::uuid[])`;
      const rows = await executeBound<{ id: string } & Partial<Record<ContactColumn, boolean>>>(em, text, [...params, uuidArray([...new Set(wanted.map(([id]) => id))])]);
      const byId = new Map(rows.map((r) => [String(r.id), r]));
      // No row (a customer gone since the parent was read): not shown as theirs; fail closed.
      return wanted.map(([id, c]) => byId.get(id)?.[c] === true);
    }),
    /** Current members per segment (open stays, kept current by writes): one statement per batch. */
    segmentMemberCount: new DataLoader<string, number>((ids) => countCurrentMembers(em, ids)),
    lifecycleHistory: createLifecycleHistoryLoader(em),
    timeline: createTimelineLoader(em),
    ordersPage: createChildPageLoader(em, PAGE_SPECS.orders),
    /** A page of who entered / left each segment: one statement per batch of segments. */
    segmentEnteredPage: createChildPageLoader(em, SEGMENT_PAGE_SPECS.entered),
    segmentLeftPage: createChildPageLoader(em, SEGMENT_PAGE_SPECS.left),
    /** A page of each segment's current (active) members, newest customers first: one statement per batch of segments. */
    segmentCustomersPage: createChildPageLoader(em, SEGMENT_PAGE_SPECS.customers),
    interactionsPage: createChildPageLoader(em, PAGE_SPECS.interactions),
    feedbackPage: createChildPageLoader(em, PAGE_SPECS.feedback),
    consentHistoryPage: createChildPageLoader(em, PAGE_SPECS.consentHistory),
    ...createMergeLoaders(em),
    ...createOfferLoaders(em, writeEm),
    ...createPreferenceLoaders(em),
    ...createRecommendationLoaders(em),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
