import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Monthly partitions of `interactions` (Migration20261205230000): created ahead, and — when a retention
 * is set — dropped whole once past it, after their rows are rolled up into interaction_rollups.
 *
 * Partitions are named interactions_pYYYY_MM and hold [first of the month, first of the next) in UTC.
 * A DEFAULT partition takes any row no month partition covers, so a write never fails for want of a
 * partition; the SQL function that creates a month moves that month's rows out of DEFAULT first.
 */

/** The shortest retention allowed: the readers that look back furthest must still find their rows.
 *  Inferred preferences read product views of the last 730 days (INFERENCE.windowDays), engagement
 *  the last 90: 25 whole months past the current one cover both. */
export const MIN_RETENTION_MONTHS = 25;

const PARTITION_NAME = /^interactions_p(\d{4})_(\d{2})$/;

const monthStart = (d: Date, plusMonths = 0): Date => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plusMonths, 1));
const isoDate = (d: Date): string => d.toISOString().slice(0, 10);

/** Creates the partitions of the current month and `ahead` months after it, where missing; returns the months created. */
export async function ensureInteractionPartitions(em: EntityManager, opts: { ahead: number; now?: Date }): Promise<string[]> {
  const now = opts.now ?? new Date();
  const months = Array.from({ length: opts.ahead + 1 }, (_, i) => isoDate(monthStart(now, i)));
  const rows: Array<{ month: string; created: boolean }> = await em.execute(
    `select m::text as month, rapport_ensure_interaction_partition(m) as created from unnest(?::date[]) m order by m`,
    [`{${months.join(',')}}`],
  );
  return rows.filter((r) => r.created).map((r) => r.month);
}

export interface RetentionResult {
  /** Partitions dropped (interactions_pYYYY_MM). */
  dropped: string[];
  /** Interactions rolled up (from those partitions and from old rows in DEFAULT). */
  rolledUp: number;
}

/**
 * Keeps `months` whole months before the current one (and the current one): every older month
 * partition is rolled up into interaction_rollups, its event keys released and the partition dropped;
 * rows that old in DEFAULT are rolled up and deleted. One transaction: the rollup and the drop commit together.
 */
export async function applyInteractionRetention(em: EntityManager, opts: { months: number; now?: Date }): Promise<RetentionResult> {
  if (!Number.isInteger(opts.months) || opts.months < MIN_RETENTION_MONTHS) {
    throw new Error(`interaction retention must be at least ${MIN_RETENTION_MONTHS} months, got ${opts.months}`);
  }
  const cutoff = monthStart(opts.now ?? new Date(), -opts.months);
  return em.transactional(async (tem) => {
    const parts: Array<{ name: string }> = await tem.execute(
      `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'interactions'::regclass order by c.relname`,
    );
    const old = parts.map((p) => p.name).filter((name) => {
      const m = PARTITION_NAME.exec(name);
      return m !== null && Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) < cutoff.getTime();
    });
    const rollup = (from: string, where = '') => `
      insert into interaction_rollups (customer_id, month, type, channel, product_id, campaign, offer_id, n, first_at, last_at)
      select customer_id, date_trunc('month', occurred_at at time zone 'UTC')::date, type, channel, product_id, campaign, properties ->> 'offerId',
             count(*), min(occurred_at), max(occurred_at)
      from ${from} ${where} group by 1, 2, 3, 4, 5, 6, 7`;
    let rolledUp = 0;
    for (const name of old) {
      // No writer slips a row into the month between the rollup and the drop (reads go on).
      await tem.execute(`lock table "${name}" in share mode`);
      const [{ n }]: Array<{ n: string }> = await tem.execute(`select count(*) as n from "${name}"`);
      await tem.execute(rollup(`"${name}"`));
      await tem.execute(
        `delete from interaction_event_keys k using "${name}" p where k.source = p.source and k.source_event_id = p.source_event_id and k.interaction_id = p.id`,
      );
      await tem.execute(`drop table "${name}"`);
      rolledUp += Number(n);
    }
    const inDefault: Array<{ n: string }> = await tem.execute(
      `with r as (${rollup('interactions_default', 'where occurred_at < ?')} returning n) select coalesce(sum(n), 0) as n from r`,
      [cutoff],
    );
    if (Number(inDefault[0].n) > 0) {
      // Row by row through the delete trigger, which releases their event keys.
      await tem.execute(`delete from interactions_default where occurred_at < ?`, [cutoff]);
      rolledUp += Number(inDefault[0].n);
    }
    return { dropped: old, rolledUp };
  });
}

/** What the scheduler and startup do: partitions ahead, then retention when set (0: keep everything). */
export async function maintainInteractionPartitions(em: EntityManager, opts: { ahead: number; retentionMonths: number; now?: Date }): Promise<{ created: string[] } & RetentionResult> {
  const created = await ensureInteractionPartitions(em, opts);
  const retained = opts.retentionMonths > 0 ? await applyInteractionRetention(em, { months: opts.retentionMonths, now: opts.now }) : { dropped: [], rolledUp: 0 };
  return { created, ...retained };
}
