import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { IngestEventKind, IngestEventStatus, ingestEvents, type IngestEventData } from '../../src/ingestion/core';
import { parseMergePolicy } from '../../src/services/merge-policy';
import { OPERATOR_RIGHTS } from '../../src/ingestion/rules';
import { IdentityKind, InteractionChannel, InteractionType } from '../../src/entities/enums';

/**
 * A batch claims its interactions' event keys in one statement and switches the per-row claim
 * trigger off for its own insert (rapport.event_keys_claimed, Migration20261206110000). The insert
 * switches it back on: a later writer in the caller's transaction has its keys claimed by the trigger.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const view = (key: string, email: string): IngestEventData => ({
  kind: IngestEventKind.INTERACTION, idempotencyKey: key, source: 'keys-test',
  identifiers: [{ kind: IdentityKind.EMAIL, value: email }],
  interaction: { occurredAt: new Date('2026-03-01T10:00:00Z'), channel: InteractionChannel.WEB, type: InteractionType.PAGE_VIEW, properties: { key } },
});

describe('event keys of a batch', () => {
  it('are claimed by the batch, and the claim trigger is on again for the rest of the transaction', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const after = await em.transactional(async (tem) => {
      const out = await ingestEvents(tem as EntityManager, [view('k-1', 'keys-a@example.com'), view('k-2', 'keys-b@example.com')], { policy: parseMergePolicy(undefined), rights: OPERATOR_RIGHTS });
      expect(out.results.map((r) => r.status)).toEqual([IngestEventStatus.ACCEPTED, IngestEventStatus.ACCEPTED]);
      const [{ setting }] = await tem.execute(`select current_setting('rapport.event_keys_claimed', true) as setting`);
      // A row written afterwards in the same transaction under a key the batch claimed: the trigger
      // runs for it and skips it, as for any writer of a key another interaction holds.
      const customerId = out.results[0].customerId!;
      const inserted = await tem.execute(
        `insert into interactions (customer_id, occurred_at, channel, type, source, source_event_id)
         values (?, '2026-03-02T10:00:00Z', 'web', 'page_view', 'keys-test', 'k-1') returning id`, [customerId]);
      return { setting, inserted: inserted.length };
    });
    expect(after).toEqual({ setting: 'off', inserted: 0 });
    const rows = await app.orm.em.fork().execute(
      `select k.source_event_id, i.properties ->> 'key' as key from interaction_event_keys k join interactions i on i.id = k.interaction_id
       where k.source = 'keys-test' order by 1`);
    expect(rows).toEqual([{ source_event_id: 'k-1', key: 'k-1' }, { source_event_id: 'k-2', key: 'k-2' }]);
  });
});
