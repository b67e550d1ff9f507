import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { IngestEventKind, IngestEventStatus, ingestEvents, setIngestConcurrency, type IngestEventData, type IngestOptions } from '../../src/ingestion/core';
import { parseMergePolicy } from '../../src/services/merge-policy';
import { OPERATOR_RIGHTS } from '../../src/ingestion/rules';
import { IdentityKind, InteractionChannel, InteractionType } from '../../src/entities/enums';

/**
 * INGEST_CONCURRENT_BATCHES on real PostgreSQL: batches of several events that open their own
 * transaction write at most N at once (the others wait for a slot before BEGIN); a single-event
 * write never waits for a slot, so a batch holding one cannot block it.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  setIngestConcurrency(2);
  await app?.close();
});

let n = 0;
const uid = () => `${Date.now().toString(36)}-${++n}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const view = (key: string): IngestEventData => ({
  kind: IngestEventKind.INTERACTION, idempotencyKey: key, source: 'concurrency-test',
  identifiers: [{ kind: IdentityKind.EMAIL, value: `${key}@example.com` }],
  interaction: { occurredAt: new Date('2026-03-01T10:00:00Z'), channel: InteractionChannel.WEB, type: InteractionType.PAGE_VIEW, properties: {} },
});

const options = (audit: IngestOptions['audit']): IngestOptions => ({ policy: parseMergePolicy(undefined), rights: OPERATOR_RIGHTS, audit });

/**
 * Runs `batches` batches of two events at once. Inside its transaction (the audit hook), each waits
 * until another batch is inside its own too, or `waitMs` passed: the most seen inside at once.
 */
async function overlap(batches: number, waitMs: number): Promise<{ most: number; statuses: string[] }> {
  let inside = 0;
  let most = 0;
  const audit = async () => {
    inside++;
    most = Math.max(most, inside);
    for (const start = Date.now(); inside < 2 && Date.now() - start < waitMs;) await sleep(10);
    await sleep(20);
    inside--;
  };
  const runs = await Promise.all(Array.from({ length: batches }, () => {
    const t = uid();
    return ingestEvents(app.orm.em.fork() as EntityManager, [view(`a-${t}`), view(`b-${t}`)], options(audit));
  }));
  return { most, statuses: runs.flatMap((r) => r.results.map((x) => x.status)) };
}

describe('INGEST_CONCURRENT_BATCHES', () => {
  it('with 1, batches never write at the same time, and all are stored', async () => {
    setIngestConcurrency(1);
    const { most, statuses } = await overlap(3, 300);
    expect(most).toBe(1);
    expect(statuses).toEqual(Array(6).fill(IngestEventStatus.ACCEPTED));
  }, 60_000);

  it('with 2, two batches write at the same time', async () => {
    setIngestConcurrency(2);
    const { most, statuses } = await overlap(4, 10_000);
    expect(most).toBe(2);
    expect(statuses).toEqual(Array(8).fill(IngestEventStatus.ACCEPTED));
  }, 60_000);

  it('a single-event write does not wait for the slot a batch holds', async () => {
    setIngestConcurrency(1);
    let release!: () => void;
    let heldUntil = '';
    const singleStored = new Promise<void>((r) => (release = r));
    const t = uid();
    // The batch holds the only slot until the single write is stored (or 10 s passed).
    const batch = ingestEvents(app.orm.em.fork() as EntityManager, [view(`c-${t}`), view(`d-${t}`)], options(async () => {
      heldUntil = await Promise.race([singleStored.then(() => 'single stored'), sleep(10_000).then(() => 'timeout')]);
    }));
    await sleep(50);
    const single = await ingestEvents(app.orm.em.fork() as EntityManager, [view(`e-${t}`)], options(undefined));
    release();
    const batched = await batch;
    expect(single.results[0].status).toBe(IngestEventStatus.ACCEPTED);
    expect(batched.results.map((r) => r.status)).toEqual([IngestEventStatus.ACCEPTED, IngestEventStatus.ACCEPTED]);
    expect(heldUntil).toBe('single stored');
    const [{ n: stored }] = await app.sql<{ n: string }>(`select count(*) as n from interactions where source = 'concurrency-test' and source_event_id in (?, ?, ?)`, [`c-${t}`, `d-${t}`, `e-${t}`]);
    expect(Number(stored)).toBe(3);
  }, 60_000);
});
