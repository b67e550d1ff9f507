import { Counter, type Registry } from 'prom-client';
import { currentRequestScope } from './request-scope';

/**
 * Prometheus counters of the ingestion core (README "Observability", "One ingestion pipeline"): every
 * event any path hands to the core, by path and by what became of it, and the batches the core
 * started over. Labels come from fixed lists only.
 */
export interface IngestionCounters {
  events: Counter<'path' | 'status'>;
  retries: Counter<'path'>;
}

export function ingestionCounters(registers: Registry[]): IngestionCounters {
  return {
    events: new Counter({
      name: 'ingest_events_total',
      help: 'Events handed to the ingestion core, by path (mutation, ingestEvents, tracking, import) and status: accepted, duplicate (a replay), conflict (a key or order number reused with other content, or identifiers the merge policy may not join), rejected (any other refusal).',
      labelNames: ['path', 'status'],
      registers,
    }),
    retries: new Counter({
      name: 'ingest_retries_total',
      help: 'Batches the ingestion core started over because a concurrent writer got there first (unique violation, serialization failure, deadlock), by path.',
      labelNames: ['path'],
      registers,
    }),
  };
}

const PATHS = new Set(['mutation', 'ingestEvents', 'tracking', 'import']);

/** Counts one call of the core into the current request's server, if it serves metrics (no-op elsewhere: CLI, tests calling the core directly). */
export function countIngestion(path: string, results: ReadonlyArray<{ status: string; error: { code: string } | null }>, attempts: number): void {
  const counters = currentRequestScope()?.ingestion;
  if (!counters) return;
  const label = PATHS.has(path) ? path : 'other';
  const n = { accepted: 0, duplicate: 0, conflict: 0, rejected: 0 };
  for (const r of results) {
    if (r.status === 'ACCEPTED') n.accepted++;
    else if (r.status === 'DUPLICATE') n.duplicate++;
    else if (r.error?.code === 'CONFLICT') n.conflict++;
    else n.rejected++;
  }
  for (const [status, count] of Object.entries(n)) if (count) counters.events.inc({ path: label, status }, count);
  if (attempts > 1) counters.retries.inc({ path: label }, attempts - 1);
}
