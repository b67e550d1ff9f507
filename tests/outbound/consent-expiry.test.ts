import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-server';
import { makeCustomer, ok } from '../helpers/fixtures';
import { fromGlobalId } from '../../src/schema/global-id';
import { startConsentExpirySweep } from '../../src/outbound/consent-expiry';
import { webhookPayload, type OutboxRow } from '../../src/outbound/delivery-worker';
import { createLogger } from '../../src/logger';
import { createServer } from '../../src/server';
import { loadConfig } from '../../src/config';

// A time-limited grant lapsing is a change of the consent in force (Migration20261206220000): announced once
// as consent.changed where the grant was still in force, and the customer leaves the segments needing it.

const SET_CONSENT = `mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`;
const CREATE_SEGMENT = `mutation($name: String!, $rule: SegmentRuleInput!) { createSegment(input: { name: $name, rule: $rule }) { id } }`;
const dbId = (globalId: string) => fromGlobalId(globalId)!.id;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const mark = async () => Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
const consentEvents = async (customerId: string, since: number) =>
  (await app.sql<{ subject_id: string; data: Record<string, unknown> }>(
    `select subject_id, data from outbox_events where id > ? and customer_id::text = ? and type = 'consent.changed' order by id`, [since, dbId(customerId)]))
    .map((e) => ({ record: e.subject_id, ...e.data }));
const set = (customerId: string, input: Record<string, unknown>) =>
  ok(app.gql(SET_CONSENT, { input: { customerId, purpose: 'EMAIL_MARKETING', source: 'test', policyVersion: 'v1', ...input } }))
    .then((r) => dbId((r as { setConsent: { id: string } }).setConsent.id));
/** An instant `ms` from now, as PostgreSQL's clock has it. */
const inMs = async (ms: number) => (await app.sql<{ t: string }>(`select to_char((now() + ? * interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t`, [ms]))[0].t;
/** Waits until PostgreSQL's clock has passed `iso` (the expiry is the database's instant, not a timer's). */
async function until(iso: string): Promise<void> {
  for (;;) {
    const [{ past }] = await app.sql<{ past: boolean }>('select clock_timestamp() > ?::timestamptz as past', [iso]);
    if (past) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const sweep = () => app.server.consentExpiry.sweepOnce();

it('announces a grant once when it lapses, with the consent in force before and after, and keeps it out of segments', async () => {
  const c = await makeCustomer(app);
  const other = await makeCustomer(app);
  await ok(app.gql(CREATE_SEGMENT, { name: 'expiry-email', rule: { consent: { purpose: 'EMAIL_MARKETING', channel: 'EMAIL' } } }));
  const expiresAt = await inMs(1500);
  const grant = await set(c.id, { channel: 'EMAIL', status: 'GRANTED', expiresAt });
  await set(other.id, { channel: 'EMAIL', status: 'GRANTED' });
  const open = async (id: string) => (await app.sql<{ n: number }>(
    `select count(*)::int n from segment_memberships m join segments s on s.id = m.segment_id where s.name = 'expiry-email' and m.customer_id::text = ? and m.left_at is null`, [dbId(id)]))[0].n;
  expect([await open(c.id), await open(other.id)]).toEqual([1, 1]);

  const start = await mark();
  expect(await sweep()).toBe(0); // not yet lapsed
  expect(await consentEvents(c.id, start)).toEqual([]);
  await until(expiresAt);
  expect(await sweep()).toBe(1);
  expect(await consentEvents(c.id, start)).toEqual([{
    record: grant, purpose: 'email_marketing', channel: 'email', status: 'expired', previousStatus: 'granted', recordedStatus: 'granted',
    changedChannels: ['email'], expiredAt: expiresAt,
  }]);
  // What a receiver gets: the record as its global id, no personal data.
  const [row] = await app.sql<OutboxRow>(`select * from outbox_events where id > ? and type = 'consent.changed' and customer_id::text = ?`, [start, dbId(c.id)]);
  expect(webhookPayload(row).data).toMatchObject({ customerId: c.id, status: 'expired', expiredAt: expiresAt });
  // Out of the segment that needs the consent, with its exit in the outbox; the other customer stays.
  expect([await open(c.id), await open(other.id)]).toEqual([0, 1]);
  expect((await app.sql<{ type: string }>(`select type from outbox_events where id > ? and customer_id::text = ? order by id`, [start, dbId(c.id)])).map((r) => r.type))
    .toEqual(['consent.changed', 'segment.exited']);
  // Once only.
  expect(await sweep()).toBe(0);
  expect(await consentEvents(c.id, start)).toHaveLength(1);
  expect(await app.sql(`select announced from consent_expiries where consent_record_id = ?`, [grant])).toEqual([{ announced: true }]);
});

it('announces nothing for a grant a newer decision had already replaced', async () => {
  const c = await makeCustomer(app);
  const expiresAt = await inMs(1000);
  const grant = await set(c.id, { channel: 'EMAIL', status: 'GRANTED', expiresAt });
  await set(c.id, { channel: 'EMAIL', status: 'WITHDRAWN' });
  const start = await mark();
  await until(expiresAt);
  await sweep();
  expect(await consentEvents(c.id, start)).toEqual([]);
  expect(await app.sql(`select announced from consent_expiries where consent_record_id = ?`, [grant])).toEqual([{ announced: false }]);
});

it('an ANY grant lapses on ANY and on each channel whose own decision is older, not on one with a newer decision', async () => {
  const c = await makeCustomer(app);
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  await set(c.id, { channel: 'EMAIL', status: 'WITHDRAWN', recordedAt: daysAgo(10) }); // older than the ANY grant: replaced by it
  const expiresAt = await inMs(1500);
  const grant = await set(c.id, { channel: 'ANY', status: 'GRANTED', recordedAt: daysAgo(5), expiresAt });
  await set(c.id, { channel: 'SMS', status: 'GRANTED', recordedAt: daysAgo(1) }); // newer: SMS keeps its own grant
  const start = await mark();
  await until(expiresAt);
  await sweep();
  expect(await consentEvents(c.id, start)).toEqual([{
    record: grant, purpose: 'email_marketing', channel: 'any', status: 'expired', previousStatus: 'granted', recordedStatus: 'granted',
    changedChannels: ['any', 'email'], expiredAt: expiresAt,
  }]);
  const status = async (channel: string) => (await app.sql<{ s: string }>(`select rapport_consent_status(?, 'email_marketing', ?) s`, [dbId(c.id), channel]))[0].s;
  expect([await status('email'), await status('sms'), await status('push')]).toEqual(['expired', 'granted', 'expired']);
});

it('a grant written already past its expiry is announced by its write, not again', async () => {
  const c = await makeCustomer(app);
  const start = await mark();
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
  const grant = await set(c.id, { channel: 'EMAIL', status: 'GRANTED', recordedAt: daysAgo(10), expiresAt: daysAgo(5) });
  const expected = { record: grant, purpose: 'email_marketing', channel: 'email', status: 'expired', previousStatus: 'none', recordedStatus: 'granted', changedChannels: ['email'] };
  expect(await consentEvents(c.id, start)).toEqual([expected]);
  expect(await sweep()).toBe(0);
  expect(await consentEvents(c.id, start)).toEqual([expected]);
});

it('instances sweeping at once announce each lapsed grant once', async () => {
  const customers = await Promise.all([0, 1, 2].map(() => makeCustomer(app)));
  const expiresAt = await inMs(1000);
  for (const c of customers) await set(c.id, { channel: 'ANY', status: 'GRANTED', expiresAt });
  const start = await mark();
  await until(expiresAt);
  const sweeps = [0, 1].map(() => startConsentExpirySweep({ databaseUrl: app.orm.config.get('clientUrl')!, logger: createLogger({ logLevel: 'silent' }), pollSeconds: 0, lookbackHours: 1 }));
  try {
    const counts = await Promise.all([sweeps[0].sweepOnce(), sweeps[1].sweepOnce(), sweep()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(3);
  } finally {
    await Promise.all(sweeps.map((s) => s.stop()));
  }
  for (const c of customers) expect(await consentEvents(c.id, start)).toHaveLength(1);
});

it('the server announces by itself every CONSENT_EXPIRY_POLL_SECONDS', async () => {
  // A second server on this file's database (the tests above are done with it), whose loop runs every second.
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: app.orm.config.get('clientUrl')!, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', CONSENT_EXPIRY_POLL_SECONDS: '1' });
  const polling = await createServer({ orm: app.orm, config, logger: createLogger(config) });
  try {
    const c = await makeCustomer(app);
    const expiresAt = await inMs(1500); // time enough to write it before it lapses, on a busy machine too
    await ok(app.gql(SET_CONSENT, { input: { customerId: c.id, purpose: 'SMS_MARKETING', channel: 'SMS', status: 'GRANTED', source: 'test', policyVersion: 'v1', expiresAt } }));
    // Waits for the loop's round (a signal from the database, no fixed sleep); the test's timeout bounds it.
    let rows: Array<{ previous: string }> = [];
    while (!rows.length) {
      rows = await app.sql<{ previous: string }>(
        `select data ->> 'previousStatus' as previous from outbox_events where type = 'consent.changed' and customer_id::text = ? and data ->> 'status' = 'expired'`, [dbId(c.id)]);
      if (!rows.length) await new Promise((r) => setTimeout(r, 100));
    }
    // Announced by a round, as the grant lapsed (a grant written already past its expiry says 'none').
    expect(rows).toEqual([{ previous: 'granted' }]);
  } finally {
    await polling.close();
  }
}, 30_000);
