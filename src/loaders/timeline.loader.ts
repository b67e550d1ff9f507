import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConsentRecord, Feedback, Interaction, Order, TriggerFiring } from '../entities';
import { encodeCursor, textArray, uuidArray, type Cursor } from '../services/pagination';
import { groupBy } from './child-page.loader';
import type { Page } from '../schema/connection';

export enum TimelineKind {
  ORDER = 'order',
  INTERACTION = 'interaction',
  FEEDBACK = 'feedback',
  CONSENT = 'consent',
  /** A trigger firing (README "Triggers"): only for roles that may read TriggerFiring. */
  TRIGGER = 'trigger',
}

export type TimelineItem = Order | Interaction | Feedback | ConsentRecord | TriggerFiring;

export interface TimelineKey {
  customerId: string;
  first: number;
  after: Cursor | null;
  kinds: TimelineKind[];
  since: Date | null;
}

const ENTITY = { order: Order, interaction: Interaction, feedback: Feedback, consent: ConsentRecord, trigger: TriggerFiring } as const;
const keyOf = (k: TimelineKey) => JSON.stringify([k.customerId, k.first, k.after, [...k.kinds].sort(), k.since?.toISOString() ?? null]);

/**
 * A customer's whole history, newest first, across orders, interactions, feedback, consent
 * changes and trigger firings: ONE statement per page for every customer asking with the same arguments
 * (unnest(ids) × LATERAL (UNION ALL of five index-ordered scans … LIMIT n)), rows returned whole as
 * jsonb so no second query loads them. No lookback cap: `since` is optional.
 */
export function createTimelineLoader(em: EntityManager) {
  return new DataLoader<TimelineKey, Page<TimelineItem>, string>(
    async (keys) => {
      const pages = new Map<string, Page<TimelineItem>>();
      for (const group of groupBy(keys, (k) => JSON.stringify([k.first, k.after, [...k.kinds].sort(), k.since?.toISOString() ?? null])).values()) {
        const { first, after, kinds, since } = group[0];
        const ids = [...new Set(group.map((k) => k.customerId))];
        // Each branch applies the cursor and `since` itself, so each reads only its own newest rows.
        const branch = (kind: TimelineKind, table: string, at: string) =>
          `(select '${kind}' as kind, t.id, t.${at} as at, to_jsonb(t) as row from ${table} t
            where t.customer_id = k.customer_id and '${kind}' = any(?::text[])
              and (?::timestamptz is null or t.${at} >= ?::timestamptz)
              and (?::timestamptz is null or (t.${at}, t.id) < (?::timestamptz, ?::uuid))
            order by t.${at} desc, t.id desc limit ?)`;
        const branchParams = () => [textArray(kinds), since, since, after?.v ?? null, after?.v ?? null, after?.id ?? null, first + 1];
        const rows: Array<{ customer_id: string; kind: TimelineKind; id: string; at_text: string; row: Record<string, unknown> }> =
          first === 0 ? [] : await em.execute(
            `select k.customer_id, e.kind, e.id, e.at::text as at_text, e.row
             from unnest(?::uuid[]) as k(customer_id)
             cross join lateral (
               select * from (${branch(TimelineKind.ORDER, 'orders', 'placed_at')}
                 union all ${branch(TimelineKind.INTERACTION, 'interactions', 'occurred_at')}
                 union all ${branch(TimelineKind.FEEDBACK, 'feedback', 'submitted_at')}
                 union all ${branch(TimelineKind.CONSENT, 'consent_records', 'recorded_at')}
                 union all ${branch(TimelineKind.TRIGGER, 'trigger_firings', 'created_at')}) u
               order by u.at desc, u.id desc limit ?) e`,
            [uuidArray(ids), ...branchParams(), ...branchParams(), ...branchParams(), ...branchParams(), ...branchParams(), first + 1],
          );
        const byCustomer = groupBy(rows, (r) => r.customer_id);
        for (const key of group) {
          const own = byCustomer.get(key.customerId) ?? [];
          const visible = own.slice(0, first);
          pages.set(keyOf(key), {
            nodes: visible.map((r) => em.map(ENTITY[r.kind] as never, r.row as never) as TimelineItem),
            cursors: visible.map((r) => encodeCursor({ v: r.at_text, id: r.id })),
            hasNextPage: own.length > first,
            totalCount: () => countTimeline(em, key),
          });
        }
      }
      return keys.map((k) => pages.get(keyOf(k))!);
    },
    { cacheKeyFn: keyOf },
  );
}

async function countTimeline(em: EntityManager, k: TimelineKey): Promise<number> {
  const parts = [
    [TimelineKind.ORDER, 'orders', 'placed_at'],
    [TimelineKind.INTERACTION, 'interactions', 'occurred_at'],
    [TimelineKind.FEEDBACK, 'feedback', 'submitted_at'],
    [TimelineKind.CONSENT, 'consent_records', 'recorded_at'],
    [TimelineKind.TRIGGER, 'trigger_firings', 'created_at'],
  ].filter(([kind]) => k.kinds.includes(kind as TimelineKind));
  if (!parts.length) return 0;
  const rows: Array<{ n: string }> = await em.execute(
    `select ${parts.map(([, table, at]) => `(select count(*) from ${table} where customer_id = ? and (?::timestamptz is null or ${at} >= ?::timestamptz))`).join(' + ')} as n`,
    parts.flatMap(() => [k.customerId, k.since, k.since]),
  );
  return Number(rows[0].n);
}
