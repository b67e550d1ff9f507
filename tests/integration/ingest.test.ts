import { startTestApp, type TestApp } from '../helpers/test-server';
import { INGEST, type IngestPayload, type IngestResult } from '../helpers/ingest';
import { databaseDigest, makeCustomer, makeProduct, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { fromGlobalId } from '../../src/schema/global-id';

/**
 * ingestEvents through the real HTTP server on real PostgreSQL: per-event results, idempotency
 * (replays, concurrent replays, reused keys), identity resolution across sources, per-role rules.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

type Result = IngestResult;
type Payload = IngestPayload;

let n = 0;
const uid = () => `${Date.now().toString(36)}-${++n}`;

async function ingest(events: unknown[], opts?: { role?: Role }): Promise<Payload> {
  return (await ok<{ ingestEvents: Payload }>(app.gql(INGEST, { events }, opts))).ingestEvents;
}

async function ingestWithKey(apiKey: string, events: unknown[]) {
  const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ query: INGEST, variables: { events } }) });
  return (await res.json()) as { data?: { ingestEvents: Payload }; errors?: Array<{ extensions?: Record<string, unknown> }> };
}

const view = (key: string, email: string, extra: Record<string, unknown> = {}) => ({
  kind: 'INTERACTION', idempotencyKey: key, source: 'web', identifiers: [{ kind: 'EMAIL', value: email }],
  interaction: { occurredAt: '2026-03-01T10:00:00.000Z', channel: 'WEB', type: 'PAGE_VIEW', properties: { key } }, ...extra,
});

const count = async (sql: string, params: unknown[] = []) => Number((await app.sql<{ n: string }>(sql, params))[0].n);

describe('a mixed batch', () => {
  it('answers per event, stores exactly the accepted ones, and a replay stores nothing', async () => {
    const known = await makeCustomer(app);
    const product = await makeProduct(app, { priceMinor: 2500 });
    const t = uid();
    const newEmail = `new.${t}@example.com`;
    const events = [
      view(`a-${t}`, known.email!),
      { ...view(`b-${t}`, known.email!), idempotencyKey: null },
      { kind: 'ORDER', idempotencyKey: `c-${t}`, source: 'store', identifiers: [{ kind: 'EMAIL', value: known.email }],
        order: { placedAt: '2026-03-01T11:00:00Z', channel: 'STORE', currency: 'EUR', lines: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] } },
      { kind: 'ORDER', idempotencyKey: `d-${t}`, source: 'store', identifiers: [{ kind: 'EMAIL', value: known.email }],
        order: { placedAt: '2026-03-01T12:00:00Z', channel: 'STORE', currency: 'EUR', discountMinor: 500, lines: [{ sku: product.sku, quantity: 2 }] } },
      { kind: 'IDENTIFY', idempotencyKey: `e-${t}`, source: 'crm', identifiers: [{ kind: 'CRM_ID', namespace: 'hubspot', value: `h-${t}` }], profile: { email: newEmail, firstName: 'Nova' } },
      view(`f-${t}`, newEmail),
      view(`a-${t}`, known.email!),
      { ...view(`a-${t}`, known.email!), interaction: { occurredAt: '2026-03-01T10:00:00.000Z', channel: 'WEB', type: 'SEARCH' } },
      { ...view(`g-${t}`, known.email!), interaction: { occurredAt: '2999-01-01T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } },
      { ...view(`h-${t}`, known.email!), order: { placedAt: '2026-03-01T12:00:00Z', channel: 'WEB', currency: 'EUR', lines: [{ sku: product.sku, quantity: 1 }] } },
    ];
    const before = await count('select count(*) n from interactions');
    const r = await ingest(events);
    expect(r.results.map((x) => [x.index, x.status, x.error?.code ?? null, x.error?.field ?? null])).toEqual([
      [0, 'ACCEPTED', null, null],
      [1, 'REJECTED', 'BAD_USER_INPUT', 'events[1].idempotencyKey'],
      [2, 'REJECTED', 'NOT_FOUND', 'events[2].order.lines[0]'],
      [3, 'ACCEPTED', null, null],
      [4, 'ACCEPTED', null, null],
      [5, 'ACCEPTED', null, null],
      [6, 'DUPLICATE', null, null],
      [7, 'REJECTED', 'CONFLICT', 'events[7].idempotencyKey'],
      [8, 'REJECTED', 'BAD_USER_INPUT', 'events[8].interaction.occurredAt'],
      [9, 'REJECTED', 'BAD_USER_INPUT', 'events[9].order'],
    ]);
    expect([r.acceptedCount, r.duplicateCount, r.rejectedCount]).toEqual([4, 1, 5]);
    expect(r.results[0].customerId).toBe(known.id);
    expect(r.results[6].interactionId).toBe(r.results[0].interactionId);
    // The interaction by the new email reached the profile the IDENTIFY of the same batch created.
    expect(r.results[5].customerId).toBe(r.results[4].customerId);

    // Exactly the accepted rows are in the database.
    expect(await count('select count(*) n from interactions') - before).toBe(2);
    const [order] = await app.sql<{ total_minor: string; subtotal_minor: string; external_id: string; lines: string }>(
      `select o.total_minor, o.subtotal_minor, o.external_id, (select count(*) from order_lines l where l.order_id = o.id) lines from orders o where o.source = 'store' and o.external_id = ?`, [`d-${t}`],
    );
    expect(order).toEqual({ total_minor: '4500', subtotal_minor: '5000', external_id: `d-${t}`, lines: '1' });
    expect(await count(`select count(*) n from orders where source = 'store' and external_id = ?`, [`c-${t}`])).toBe(0);
    const [seen] = await app.sql<{ first_seen_at: Date; last_seen_at: Date }>('select first_seen_at, last_seen_at from customers where id = (select customer_id from identities where value = ?)', [newEmail]);
    expect(new Date(seen.first_seen_at).toISOString()).toBe('2026-03-01T10:00:00.000Z');
    // Rejected events leave no claim: a corrected resend is evaluated afresh.
    expect(await count(`select count(*) n from ingest_events where idempotency_key = any(?::text[])`, [`{c-${t},g-${t},h-${t}}`])).toBe(0);

    // The same request again: every stored event answers DUPLICATE with its first result; nothing changes.
    const digest = await databaseDigest(app);
    const again = await ingest(events);
    expect(await databaseDigest(app)).toBe(digest);
    for (const i of [0, 3, 4, 5]) {
      expect(again.results[i].status).toBe('DUPLICATE');
      expect({ ...again.results[i], status: null }).toEqual({ ...r.results[i], status: null });
    }
    expect(again.results[2].status).toBe('REJECTED');
  });

  it('refuses a reused key with other content and leaves the database as it was', async () => {
    const c = await makeCustomer(app);
    const key = `k-${uid()}`;
    expect((await ingest([view(key, c.email!)])).results[0].status).toBe('ACCEPTED');
    const digest = await databaseDigest(app);
    const r = await ingest([{ ...view(key, c.email!), interaction: { occurredAt: '2026-03-02T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }]);
    expect(r.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'KEY_REUSED', field: 'events[0].idempotencyKey' } });
    expect(await databaseDigest(app)).toBe(digest);
    // Keys are per source: the same key from another source is another event.
    expect((await ingest([{ ...view(key, c.email!), source: 'app' }])).results[0].status).toBe('ACCEPTED');
  });

  it('releases the claim of an interaction refused after its key was claimed, so the corrected event is stored under the key', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const key = `u-${uid()}`;
    // Known customer: the claim guesses an ACCEPTED result; the unknown sku refuses the event afterwards.
    const bad = await ingest([view(key, c.email!, { interaction: { occurredAt: '2026-03-01T10:00:00Z', channel: 'WEB', type: 'PRODUCT_VIEW', sku: 'NO-SUCH-SKU' } })]);
    expect(bad.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'NOT_FOUND', field: 'events[0].interaction.sku' } });
    expect(await count(`select count(*) n from ingest_events where source = 'web' and idempotency_key = ?`, [key])).toBe(0);
    const good = await ingest([view(key, c.email!, { interaction: { occurredAt: '2026-03-01T10:00:00Z', channel: 'WEB', type: 'PRODUCT_VIEW', sku: p.sku } })]);
    expect(good.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: c.id });
    const again = await ingest([view(key, c.email!, { interaction: { occurredAt: '2026-03-01T10:00:00Z', channel: 'WEB', type: 'PRODUCT_VIEW', sku: p.sku } })]);
    expect(again.results[0]).toMatchObject({ status: 'DUPLICATE', customerId: c.id, interactionId: good.results[0].interactionId });
  });

  it('treats a replay with keys in another order as the same event', async () => {
    const c = await makeCustomer(app);
    const key = `o-${uid()}`;
    const first = await ingest([view(key, c.email!, { interaction: { occurredAt: '2026-03-01T10:00:00Z', channel: 'WEB', type: 'PAGE_VIEW', properties: { a: 1, b: { c: 2, d: 3 } } } })]);
    const second = await ingest([view(key, c.email!, { interaction: { properties: { b: { d: 3, c: 2 }, a: 1 }, type: 'PAGE_VIEW', channel: 'WEB', occurredAt: '2026-03-01T10:00:00.000Z' } })]);
    expect(second.results[0]).toMatchObject({ status: 'DUPLICATE', interactionId: first.results[0].interactionId });
  });

  it('answers DUPLICATE for an event recorded before through recordInteraction or recordOrder', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const key = `r-${uid()}`;
    const rec = await ok(app.gql(`mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { interaction { id } } }`, {
      input: { customerId: c.id, channel: 'WEB', type: 'PAGE_VIEW', source: 'web', sourceEventId: key, occurredAt: '2026-03-01T10:00:00Z', properties: { key } },
    }));
    const order = await ok(app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`, {
      input: { customerId: c.id, externalId: `SO-${key}`, source: 'store', placedAt: '2026-03-01T09:00:00Z', channel: 'STORE', currency: 'EUR', lines: [{ productId: p.id, quantity: 3 }] },
    }));
    const order2 = (idempotencyKey: string, quantity: number) => ({
      kind: 'ORDER', idempotencyKey, source: 'store', customerId: c.id,
      order: { externalId: `SO-${key}`, placedAt: '2026-03-01T09:00:00Z', channel: 'STORE', currency: 'EUR', lines: [{ productId: p.id, quantity }] },
    });
    const r = await ingest([{ ...view(key, c.email!), identifiers: null, customerId: c.id }, order2(`x-${key}`, 3), order2(`y-${key}`, 3)]);
    expect(r.results.map((x) => x.status)).toEqual(['DUPLICATE', 'DUPLICATE', 'REJECTED']);
    expect(r.results[0].interactionId).toBe(rec.recordInteraction.interaction.id);
    // The claim guessed a new interaction; the ledger holds the stored one's id instead.
    const again = await ingest([{ ...view(key, c.email!), identifiers: null, customerId: c.id }]);
    expect(again.results[0]).toMatchObject({ status: 'DUPLICATE', interactionId: rec.recordInteraction.interaction.id });
    expect(r.results[1].orderId).toBe(order.recordOrder.order.id);
    // Two events of one batch under one order number: the second is refused, whatever the content.
    expect(r.results[2].error).toMatchObject({ code: 'CONFLICT', reason: 'ORDER_NUMBER_REPEATED', field: 'events[2].order.externalId' });
    const other = await ingest([order2(`z-${key}`, 4)]);
    expect(other.results[0].error).toMatchObject({ code: 'CONFLICT', reason: 'ORDER_EXISTS', field: 'events[0].order.externalId' });
  });

  it('rejects more than 1000 events as a whole, storing nothing', async () => {
    const c = await makeCustomer(app);
    const digest = await databaseDigest(app);
    const t = uid();
    const res = await app.gql(INGEST, { events: Array.from({ length: 1001 }, (_, i) => view(`big-${t}-${i}`, c.email!)) });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await databaseDigest(app)).toBe(digest);
  });
});

describe('concurrency', () => {
  it('stores one row for 10 concurrent replays of one key, and all of them say so', async () => {
    const c = await makeCustomer(app);
    const key = `conc-${uid()}`;
    const event = view(key, c.email!);
    const answers = await Promise.all(Array.from({ length: 10 }, () => ingest([event])));
    const results = answers.map((a) => a.results[0]);
    expect(results.filter((r) => r.status === 'ACCEPTED')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'DUPLICATE')).toHaveLength(9);
    expect(new Set(results.map((r) => r.interactionId)).size).toBe(1);
    expect(await count(`select count(*) n from interactions where source = 'web' and source_event_id = ?`, [key])).toBe(1);
    expect(await count(`select count(*) n from ingest_events where source = 'web' and idempotency_key = ?`, [key])).toBe(1);
  });

  it('creates one customer when concurrent batches name the same new person', async () => {
    const email = `race.${uid()}@example.com`;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => ingest([view(`race-${email}-${i}`, email)])));
    expect(answers.every((a) => a.results[0].status === 'ACCEPTED')).toBe(true);
    expect(new Set(answers.map((a) => a.results[0].customerId)).size).toBe(1);
    expect(await count(`select count(*) n from identities where kind = 'email' and value = ?`, [email])).toBe(1);
  });
});

describe('identity resolution', () => {
  it('makes one customer of the same person seen by three sources', async () => {
    const t = uid();
    const email = `three.${t}@example.com`;
    const r = await ingest([
      { kind: 'IDENTIFY', idempotencyKey: `crm-${t}`, source: 'crm', identifiers: [{ kind: 'CRM_ID', namespace: 'salesforce', value: `SF-${t}` }], profile: { email, lastName: 'Three' } },
      view(`web-${t}`, email, { identifiers: [{ kind: 'EMAIL', value: `  ${email.toUpperCase()} ` }, { kind: 'DEVICE', value: `dev-${t}` }] }),
    ]);
    // A later batch: the store knows only the loyalty card it issued against the phone the web shop never saw.
    const store = await ingest([
      { kind: 'IDENTIFY', idempotencyKey: `store-id-${t}`, source: 'store', identifiers: [{ kind: 'LOYALTY_CARD', value: `LC-${t}` }, { kind: 'DEVICE', value: `dev-${t}` }], profile: { phone: '+44 20 7946 0999' } },
      { kind: 'ORDER', idempotencyKey: `store-${t}`, source: 'store', identifiers: [{ kind: 'LOYALTY_CARD', value: `LC-${t}` }],
        order: { placedAt: '2026-03-03T10:00:00Z', channel: 'STORE', currency: 'EUR', lines: [{ sku: (await makeProduct(app)).sku, quantity: 1 }] } },
    ]);
    const ids = [...r.results, ...store.results].map((x) => x.customerId);
    expect(new Set(ids).size).toBe(1);
    const kinds = await app.sql<{ kind: string; source: string }>(
      `select kind, source from identities where customer_id = (select customer_id from identities where kind = 'email' and value = ?) order by kind`, [email],
    );
    expect(kinds).toEqual([
      { kind: 'crm_id', source: 'crm' }, { kind: 'device', source: 'web' }, { kind: 'email', source: 'crm' }, { kind: 'loyalty_card', source: 'store' }, { kind: 'phone', source: 'store' },
    ]);
  });

  it('merges two known profiles an event links (policy permitting), and follows a merged id to the survivor', async () => {
    const a = await makeCustomer(app);
    const b = await makeCustomer(app);
    const t = uid();
    const r = await ingest([view(`link-${t}`, a.email!, { identifiers: [{ kind: 'EMAIL', value: a.email }, { kind: 'EMAIL', value: b.email }] })]);
    expect(r.results[0].status).toBe('ACCEPTED');
    const survivor = r.results[0].customerId;
    expect([a.id, b.id]).toContain(survivor);
    const loser = survivor === a.id ? b.id : a.id;
    const late = await ingest([{ ...view(`late-${t}`, a.email!), identifiers: null, customerId: loser }]);
    expect(late.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: survivor });
    // The claim guessed the merged id (the one named) and the batch stored the event for the survivor:
    // the ledger holds what was stored, so a replay answers the survivor, as does the erasure index.
    const dbId = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1];
    const [ledger] = await app.sql<{ customer_id: string; result: { customerId: string; interactionId: string } }>(
      `select customer_id, result from ingest_events where source = 'web' and idempotency_key = ?`, [`late-${t}`]);
    expect(ledger).toEqual({ customer_id: dbId(survivor!), result: expect.objectContaining({ status: 'ACCEPTED', customerId: dbId(survivor!), interactionId: dbId(late.results[0].interactionId!) }) });
    const replay = await ingest([{ ...view(`late-${t}`, a.email!), identifiers: null, customerId: loser }]);
    expect(replay.results[0]).toMatchObject({ status: 'DUPLICATE', customerId: survivor, interactionId: late.results[0].interactionId });
    const profile = await ingest([{ kind: 'IDENTIFY', idempotencyKey: `late-id-${t}`, customerId: loser, profile: { locale: 'fr-FR' } }]);
    expect(profile.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: survivor });
  });

  it('an IDENTIFY that merges a profile an earlier event of the batch wrote keeps what the merge chose, with its provenance', async () => {
    const t = uid();
    const [ea, eb] = [`stale.a.${t}@example.com`, `stale.b.${t}@example.com`];
    const identify = (k: string, source: string, identifiers: unknown[], profile: Record<string, unknown>) => ({ kind: 'IDENTIFY', idempotencyKey: k, source, identifiers, profile });
    const a = (await ingest([identify(`st-a-${t}`, 'crm', [{ kind: 'EMAIL', value: ea }], { firstName: 'Ann' })])).results[0];
    const b = (await ingest([identify(`st-b-${t}`, 'shop', [{ kind: 'EMAIL', value: eb }], { lastName: 'Bee' })])).results[0];
    await app.sql(`update customers set created_at = created_at - interval '1 day' where id = ?`, [fromGlobalId(a.customerId!)!.id]);
    // The first event writes a (the older: it survives); the second links b's e-mail to it, merging b, whose last name a lacks.
    const r = await ingest([
      identify(`st-1-${t}`, 'web', [{ kind: 'EMAIL', value: ea }], { locale: 'fr-FR' }),
      identify(`st-2-${t}`, 'web', [{ kind: 'EMAIL', value: ea }, { kind: 'EMAIL', value: eb }], {}),
    ]);
    expect(r.results.map((x) => [x.status, x.customerId])).toEqual([['ACCEPTED', a.customerId], ['ACCEPTED', a.customerId]]);
    const [row] = await app.sql<{ first_name: string; last_name: string; locale: string; field_provenance: Record<string, { source: string }> }>(
      'select first_name, last_name, locale, field_provenance from customers where id = ?', [fromGlobalId(a.customerId!)!.id]);
    expect(row).toMatchObject({ first_name: 'Ann', last_name: 'Bee', locale: 'fr-FR' });
    expect(Object.fromEntries(Object.entries(row.field_provenance).map(([f, p]) => [f, p.source]))).toEqual({ firstName: 'crm', lastName: 'shop', locale: 'web' });
    expect(b.customerId).not.toBe(a.customerId);
  });

  it('refuses to re-create an erased person, and keeps MERGE_POLICY.limits for new people', async () => {
    const gone = await makeCustomer(app);
    await ok(app.gql('mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }', { c: gone.id }));
    const t = uid();
    const email = `limits.${t}@example.com`;
    const crm = (key: string, value: string) => view(key, email, { identifiers: [{ kind: 'EMAIL', value: email }, { kind: 'CRM_ID', namespace: 'sf', value }] });
    const r = await ingest([view(`gone-${t}`, gone.email!), crm(`l1-${t}`, `A-${t}`), crm(`l2-${t}`, `B-${t}`), view(`fresh-${t}`, `fresh.${t}@example.com`)]);
    expect(r.results.map((x) => [x.status, x.error?.reason ?? null])).toEqual([
      ['REJECTED', 'SUPPRESSED'], ['ACCEPTED', null], ['REJECTED', 'IDENTITY_LIMIT'], ['ACCEPTED', null],
    ]);
    expect(await count(`select count(*) n from identities where kind = 'crm_id' and namespace = 'sf' and value like ?`, [`%-${t}`])).toBe(1);
  });

  it('ignores junk identifiers and rejects an event that carries only junk', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const r = await ingest([
      view(`junk1-${t}`, c.email!, { identifiers: [{ kind: 'EMAIL', value: c.email }, { kind: 'EMAIL', value: 'test@test.com' }] }),
      view(`junk2-${t}`, 'test@test.com'),
    ]);
    expect(r.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: c.id });
    expect(r.results[1]).toMatchObject({ status: 'REJECTED', error: { code: 'BAD_USER_INPUT', reason: 'BLOCKLISTED' } });
    expect(await count(`select count(*) n from identities where value = 'test@test.com'`)).toBe(0);
  });
});

describe('access', () => {
  let eventsOnlyKey: string;
  beforeAll(async () => {
    eventsOnlyKey = (await ok(app.gql(`mutation { createApiKey(input: { name: "ingest-events-only", scopes: ["events:write"] }) { secret } }`))).createApiKey.secret;
  });

  it('lets a partner with events:write send activity but not IDENTIFY, never link or merge, and never learn customer ids', async () => {
    const a = await makeCustomer(app);
    const b = await makeCustomer(app);
    const t = uid();
    const digestOf = async () => (await app.sql<{ d: string }>(`select md5(string_agg(id::text || status, ',' order by id)) d from customers`))[0].d;
    const before = await digestOf();
    const res = await ingestWithKey(eventsOnlyKey, [
      view(`p1-${t}`, a.email!),
      { kind: 'IDENTIFY', idempotencyKey: `p2-${t}`, identifiers: [{ kind: 'EMAIL', value: a.email }], profile: { firstName: 'Hijack' } },
      view(`p3-${t}`, a.email!, { identifiers: [{ kind: 'EMAIL', value: a.email }, { kind: 'EMAIL', value: b.email }] }),
    ]);
    const results = res.data!.ingestEvents.results;
    expect(results.map((x) => [x.status, x.error?.code ?? null, x.error?.reason ?? null])).toEqual([
      ['ACCEPTED', null, null], ['REJECTED', 'FORBIDDEN', null], ['REJECTED', 'FORBIDDEN', 'LINKING'],
    ]);
    expect(results.map((x) => x.customerId)).toEqual([null, null, null]);
    // Named by an e-mail: the stored row's id would map the e-mail to the profile (node(id) { customer }).
    expect(results[0].interactionId).toBeNull();
    expect(await count(`select count(*) n from interactions where source_event_id = ?`, [`p1-${t}`])).toBe(1);
    expect(await digestOf()).toBe(before);
    expect((await app.sql<{ first_name: string }>('select first_name from customers where email = ?', [a.email]))[0].first_name).toBe('Test');
  });

  it('lets a first-party key (profiles:write) IDENTIFY and link, writing to the profile its first held identifier names, never merging', async () => {
    const key = async (name: string, scopes: string[]) =>
      (await ok<{ createApiKey: { secret: string } }>(app.gql(`mutation($n: String!, $s: [String!]!) { createApiKey(input: { name: $n, scopes: $s }) { secret } }`, { n: name, s: scopes }))).createApiKey.secret;
    const t = uid();
    const firstParty = await key(`first-party-${t}`, ['events:write', 'profiles:write']);
    const withContact = await key(`first-party-contact-${t}`, ['events:write', 'profiles:write', 'customers:contact']);
    const made = [await makeCustomer(app), await makeCustomer(app)];
    const [a, b] = made.map((c) => ({ email: c.email, uuid: fromGlobalId(c.id)!.id }));
    const user = { kind: 'EXTERNAL_ID', namespace: 'shop', value: `u-${t}` };
    const device = { kind: 'DEVICE', namespace: 'shop', value: `d-${t}` };
    const identify = (k: string, identifiers: unknown[], profile: Record<string, unknown> = {}) => ({ kind: 'IDENTIFY', idempotencyKey: k, source: 'shop', identifiers, profile });
    const merges = () => count(`select count(*) n from customer_merges where survivor_id in (?, ?) or loser_id in (?, ?)`, [a.uuid, b.uuid, a.uuid, b.uuid]);
    const ownerOf = async (value: string) => (await app.sql<{ customer_id: string }>(`select customer_id from identities where value = ?`, [value])).map((r) => r.customer_id);

    // b's e-mail first: the event writes to b and links the new user id and device to b; a's e-mail stays a's.
    const res = await ingestWithKey(firstParty, [identify(`fp1-${t}`, [{ kind: 'EMAIL', value: b.email }, user, { kind: 'EMAIL', value: a.email }, device], { firstName: 'Linked' })]);
    expect(res.data!.ingestEvents.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: null, error: null });
    expect([await ownerOf(user.value), await ownerOf(device.value), await ownerOf(a.email!)]).toEqual([[b.uuid], [b.uuid], [a.uuid]]);
    expect((await app.sql<{ first_name: string }>('select first_name from customers where id = ?', [b.uuid]))[0].first_name).toBe('Linked');
    expect((await app.sql<{ first_name: string }>('select first_name from customers where id = ?', [a.uuid]))[0].first_name).toBe('Test');
    // The user id now names b: an event naming it first, then a's e-mail, writes to b again.
    const again = await ingestWithKey(firstParty, [identify(`fp2-${t}`, [user, { kind: 'EMAIL', value: a.email }], { lastName: 'Again' })]);
    expect(again.data!.ingestEvents.results[0].status).toBe('ACCEPTED');
    expect((await app.sql<{ last_name: string }>('select last_name from customers where id = ?', [b.uuid]))[0].last_name).toBe('Again');
    expect(await merges()).toBe(0);
    // With customers:contact the key may learn whose an identifier is: it is told the conflict, as staff are, and still may not merge.
    const told = await ingestWithKey(withContact, [identify(`fp3-${t}`, [user, { kind: 'EMAIL', value: a.email }])]);
    expect(told.data!.ingestEvents.results[0]).toMatchObject({ status: 'REJECTED', error: {
      // named as the event's input names it (upsertCustomer's own name is `identities`)
      code: 'CONFLICT', reason: 'MERGE_NOT_ALLOWED', field: 'events[0].identifiers',
      message: 'these identifiers belong to different customers, and this write may not merge profiles; ask support to merge them',
    } });
    expect(await merges()).toBe(0);
  });

  it('counts an identifier another profile holds toward a first-party key\'s identity limit as a fresh one: the answer does not tell whose it is', async () => {
    const t = uid();
    const firstParty = (await ok<{ createApiKey: { secret: string } }>(app.gql(`mutation($n: String!) { createApiKey(input: { name: $n, scopes: ["events:write", "profiles:write"] }) { secret } }`, { n: `fp-limit-${t}` }))).createApiKey.secret;
    const [a, b] = [await makeCustomer(app), await makeCustomer(app)];
    const crm = (value: string) => ({ kind: 'CRM_ID', namespace: 'sf', value });
    const ownerOf = async (value: string) => (await app.sql<{ customer_id: string }>(`select customer_id from identities where value = ?`, [value])).map((r) => r.customer_id);
    // b holds one CRM id of namespace sf, the default MERGE_POLICY's limit; a holds another.
    const staff = await ingest([
      { kind: 'IDENTIFY', idempotencyKey: `fpl-a-${t}`, customerId: a.id, identifiers: [crm(`A-${t}`)] },
      { kind: 'IDENTIFY', idempotencyKey: `fpl-b-${t}`, customerId: b.id, identifiers: [crm(`B-${t}`)] },
    ]);
    expect(staff.results.map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const identify = (k: string, second: unknown) => ({ kind: 'IDENTIFY', idempotencyKey: k, source: 'shop', identifiers: [{ kind: 'EMAIL', value: b.email }, second], profile: { firstName: 'Limited' } });
    // b's e-mail names b; a second CRM id for b is refused whether a holds it or nobody does.
    const held = (await ingestWithKey(firstParty, [identify(`fpl-1-${t}`, crm(`A-${t}`))])).data!.ingestEvents.results[0];
    const fresh = (await ingestWithKey(firstParty, [identify(`fpl-2-${t}`, crm(`N-${t}`))])).data!.ingestEvents.results[0];
    for (const r of [held, fresh]) expect(r).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'IDENTITY_LIMIT' } });
    expect(held.error!.message).toBe(fresh.error!.message);
    const owners = await app.sql<{ value: string; customer_id: string }>(`select value, customer_id from identities where kind = 'crm_id' and namespace = 'sf' and value like ? order by value`, [`%-${t}`]);
    expect(owners.map((o) => [o.value, o.customer_id])).toEqual([[`A-${t}`, fromGlobalId(a.id)!.id], [`B-${t}`, fromGlobalId(b.id)!.id]]);
    expect((await app.sql<{ first_name: string }>('select first_name from customers where id = ?', [fromGlobalId(b.id)!.id]))[0].first_name).toBe('Test');
    // b's own CRM id again, beside a's e-mail: it is b's already, so it does not count toward b's limit.
    const withA = { ...identify(`fpl-4-${t}`, crm(`B-${t}`)), identifiers: [{ kind: 'EMAIL', value: b.email }, crm(`B-${t}`), { kind: 'EMAIL', value: a.email }] };
    const own = (await ingestWithKey(firstParty, [withA])).data!.ingestEvents.results[0];
    expect(own).toMatchObject({ status: 'ACCEPTED', error: null });
    expect((await app.sql<{ first_name: string }>('select first_name from customers where id = ?', [fromGlobalId(b.id)!.id]))[0].first_name).toBe('Limited');
    expect(await ownerOf(`B-${t}`)).toEqual([fromGlobalId(b.id)!.id]);
    // Identifiers nobody holds: a new person, created with both.
    const email = `fpl.new.${t}@example.com`;
    const created = (await ingestWithKey(firstParty, [{ kind: 'IDENTIFY', idempotencyKey: `fpl-3-${t}`, source: 'shop', identifiers: [crm(`C-${t}`), { kind: 'EMAIL', value: email }], profile: { firstName: 'New' } }])).data!.ingestEvents.results[0];
    expect(created).toMatchObject({ status: 'ACCEPTED', customerId: null, error: null });
    const [person] = await app.sql<{ id: string; first_name: string }>('select c.id, c.first_name from customers c join identities i on i.customer_id = c.id where i.value = ?', [email]);
    expect(person.first_name).toBe('New');
    expect(await ownerOf(`C-${t}`)).toEqual([person.id]);
  });

  it('audits a batch in one WRITE row naming every customer written and the caller, found under each customer', async () => {
    const a = await makeCustomer(app);
    const b = await makeCustomer(app);
    const t = uid();
    const dbId = (c: { id: string }) => Buffer.from(c.id, 'base64').toString().split(':')[1];
    const r = await ingest([view(`au1-${t}`, a.email!), view(`au2-${t}`, a.email!), view(`au3-${t}`, b.email!)], { role: Role.SUPPORT });
    expect(r.acceptedCount).toBe(3);
    const rows = await app.sql<{ customer_id: string | null; customer_ids: string[]; role: string }>(
      `select customer_id, customer_ids, role from audit_log where operation = 'ingestEvents' and action = 'WRITE' and customer_ids && ?::uuid[]`,
      [`{${[a, b].map(dbId).join(',')}}`],
    );
    expect(rows).toEqual([{ customer_id: null, customer_ids: [dbId(a), dbId(b)].sort(), role: 'support' }]);
    // The admin's audit log of either customer lists the batch's entry, with both customers.
    for (const c of [a, b]) {
      const log = await ok<{ auditLog: { nodes: Array<{ action: string; operation: string; customerId: string | null; customerIds: string[] }> } }>(
        app.gql(`query($c: ID!) { auditLog(first: 10, customerId: $c) { nodes { action operation customerId customerIds } } }`, { c: c.id }));
      expect(log.auditLog.nodes.filter((n) => n.operation === 'ingestEvents')).toEqual([
        { action: 'WRITE', operation: 'ingestEvents', customerId: null, customerIds: expect.arrayContaining([a.id, b.id]) },
      ]);
    }
    // A batch writing to one customer names it as any single write does.
    await ingest([view(`au4-${t}`, a.email!)], { role: Role.SUPPORT });
    const single = await app.sql<{ customer_id: string | null; customer_ids: string[] | null }>(
      `select customer_id, customer_ids from audit_log where operation = 'ingestEvents' and customer_id = ?`, [dbId(a)]);
    expect(single).toEqual([{ customer_id: dbId(a), customer_ids: null }]);
  });
});

describe('cost', () => {
  it('runs the same number of SQL statements for 10 and for 200 events of known customers', async () => {
    const customers = await Promise.all(Array.from({ length: 20 }, () => makeCustomer(app)));
    const p = await makeProduct(app);
    const t = uid();
    const batch = (size: number, tag: string) => Array.from({ length: size }, (_, i) => i % 4 === 0
      ? { kind: 'ORDER', idempotencyKey: `${tag}-${i}`, source: 'shop', identifiers: [{ kind: 'EMAIL', value: customers[i % 20].email }],
          order: { placedAt: '2026-03-01T12:00:00Z', channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity: 1 }, { productId: p.id, quantity: 2 }] } }
      : view(`${tag}-${i}`, customers[i % 20].email!, { interaction: { occurredAt: '2026-03-01T10:00:00Z', channel: 'WEB', type: 'PRODUCT_VIEW', sku: p.sku } }));
    const small = await app.gql(INGEST, { events: batch(10, `s-${t}`) });
    const large = await app.gql(INGEST, { events: batch(200, `l-${t}`) });
    expect(small.data!.ingestEvents.acceptedCount).toBe(10);
    expect(large.data!.ingestEvents.acceptedCount).toBe(200);
    expect(large.extensions?.sqlStatements).toBe(small.extensions?.sqlStatements);
  });
});
