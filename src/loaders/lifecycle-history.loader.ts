import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { LifecycleTransitionRecord } from '../entities';
import { lightMapper } from '../db/light-map';
import { uuidArray } from '../services/pagination';
import { PROFILING_OBJECTION } from '../auth/policy';
import { groupBy } from './child-page.loader';

export interface LifecycleHistory {
  /** Why the ledger is withheld (PROFILING_OBJECTION), or null. */
  withheld: string | null;
  transitions: LifecycleTransitionRecord[];
}

/**
 * Customer.lifecycleHistory: every customer's transitions and PROFILING consent in one statement per
 * batch. The ledger has one row per change, so it grows with the changes, not with the runs.
 */
export function createLifecycleHistoryLoader(em: EntityManager) {
  const map = lightMapper(em, LifecycleTransitionRecord);
  return new DataLoader<string, LifecycleHistory>(async (ids) => {
    const rows: Array<Record<string, unknown>> = await em.execute(
      `select c.id as owner, rapport_consent_status(c.id, ?, ?) as profiling_consent, t.*
       from unnest(?::uuid[]) as c(id) left join customer_lifecycle_transitions t on t.customer_id = c.id
       order by c.id, t.at, t.id`,
      [PROFILING_OBJECTION.purpose, PROFILING_OBJECTION.channel, uuidArray(ids)],
    );
    const grouped = groupBy(rows, (r) => String(r.owner));
    return ids.map((id) => {
      const own = grouped.get(id) ?? [];
      const consent = String(own[0]?.profiling_consent ?? 'none');
      const withheld = PROFILING_OBJECTION.withheldWhen.includes(consent) ? `PROFILING consent ${consent}` : null;
      return {
        withheld,
        transitions: own.filter((r) => r.id != null).map(({ owner: _o, profiling_consent: _p, ...r }) => map(r)),
      };
    });
  });
}
