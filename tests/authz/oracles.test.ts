import { startTestApp, type TestApp } from '../helpers/test-server';
import { createAuthzFixtures, type AuthzFixtures } from './fixtures';
import { ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';

/**
 * Existence oracles: a caller who may not look customers up by identifier (ACTION_POLICY
 * lookUpByIdentifier) gets answers that do not depend on whether someone else's e-mail, phone or
 * customer id exists; and partners without profiles:write may not change the identity graph (ACTION_POLICY
 * linkIdentifiers), while those with it link only where the answer cannot tell whose an identifier is.
 * Each probe is sent twice, once naming something that exists and once something that does not, and
 * the two answers must be the same.
 */
let app: TestApp;
let f: AuthzFixtures;
let eventsOnly: string;
let eventsAndReads: string;
/** Every scope but profiles:write: customers:contact included, still no linking. */
let allButProfiles: string;
/** A first-party source (README "Tracking API"): may identify and link, may not look customers up. */
let firstParty: string;

beforeAll(async () => {
  app = await startTestApp();
  f = await createAuthzFixtures(app);
  const key = async (name: string, scopes: string[]) =>
    (await ok<{ createApiKey: { secret: string } }>(app.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, { input: { name, scopes } }))).createApiKey.secret;
  eventsOnly = await key('events-only', ['events:write']);
  eventsAndReads = await key('events-and-reads', ['events:write', 'customers:read', 'interactions:read', 'orders:read']);
  allButProfiles = await key('all-but-profiles', ['customers:read', 'customers:contact', 'orders:read', 'interactions:read', 'feedback:read', 'events:write']);
  firstParty = await key('first-party', ['events:write', 'profiles:write']);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

let n = 0;
const uid = () => `${Date.now().toString(36)}-${++n}`;

/** The answer, without the statement count the test server adds (EXPOSE_SQL_COUNT, off in production). */
async function withKey(apiKey: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': apiKey }, body: JSON.stringify({ query, variables }) });
  const { extensions: _diagnostics, ...body } = (await res.json()) as { data?: any; errors?: Array<{ message: string; path?: unknown; extensions?: Record<string, unknown> }>; extensions?: unknown }; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { status: res.status, ...body };
}

const INGEST = `mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) {
  acceptedCount rejectedCount results { index status customerId interactionId orderId error { code message field reason } } } }`;
const view = (key: string, identifiers: Array<{ kind: string; value: string; namespace?: string }>) => ({
  kind: 'INTERACTION', idempotencyKey: key, source: 'partner-feed', identifiers,
  interaction: { occurredAt: '2026-03-01T10:00:00.000Z', channel: 'WEB', type: 'PAGE_VIEW' },
});
const count = async (sql: string, params: unknown[] = []) => Number((await app.sql<{ n: string }>(sql, params))[0].n);

describe("a customer's own upsertCustomer", () => {
  it("answers the same for another person's e-mail as for an unused one, and never names that person", async () => {
    const set = async (email: string) => {
      const { extensions: _diagnostics, ...answer } = await app.gql(
        `mutation($id: ID!, $email: String!) { upsertCustomer(input: { id: $id, email: $email }) { created mergedCustomerIds ignoredIdentifiers { kind } customer { id email } } }`,
        { id: f.consenting.id, email }, { role: Role.CUSTOMER, customerId: f.consenting.id },
      );
      return answer;
    };
    const taken = await set('nope.person@example.com');
    expect(JSON.stringify(taken)).not.toContain(f.private.id);
    expect(taken.errors).toBeUndefined();
    const unused = await set(`unused.${uid()}@example.com`);
    const shape = (r: typeof taken, email: string) => JSON.stringify(r).replaceAll(email, '<email>');
    expect(shape(taken, 'nope.person@example.com')).toBe(shape(unused, unused.data!.upsertCustomer.customer.email));
    // The other person's identity stays theirs: nothing was linked or merged.
    expect(await app.sql(`select customer_id from identities where kind = 'email' and value = 'nope.person@example.com'`)).toEqual([{ customer_id: f.private.uuid }]);
    expect(await app.sql(`select status from customers where id = ?`, [f.private.uuid])).toEqual([{ status: 'active' }]);
    // Staff, who may look customers up by identifier, are still told that the address is someone else's.
    const staff = await app.gql(`mutation($id: ID!) { upsertCustomer(input: { id: $id, email: "nope.person@example.com" }) { created } }`, { id: f.consenting.id }, { role: Role.SUPPORT });
    expect(staff.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT' });
  });

  it("answers the same for an erased person's e-mail as for an unused one, links it to no one, and keeps it from marketing", async () => {
    // An erased person's identifiers are kept as keyed digests so that no write re-creates them. Telling a
    // customer that the address they typed is one would tell them that its owner was a customer and was erased.
    const goneEmail = `gone.${uid()}@example.com`;
    const gone = await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { email: goneEmail } }));
    await ok(app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: gone.upsertCustomer.customer.id }));
    const set = async (email: string) => {
      const { extensions: _diagnostics, ...answer } = await app.gql(
        `mutation($id: ID!, $email: String!) { upsertCustomer(input: { id: $id, email: $email }) { created mergedCustomerIds ignoredIdentifiers { kind } customer { id email } } }`,
        { id: f.consenting.id, email }, { role: Role.CUSTOMER, customerId: f.consenting.id },
      );
      return answer;
    };
    const erased = await set(goneEmail);
    expect(erased.errors).toBeUndefined();
    // Stored as typed, linked to no one (the erased person's identities are gone, and none was made).
    expect(await count(`select count(*) n from identities where kind = 'email' and value = ?`, [goneEmail])).toBe(0);
    expect(await count(`select count(*) n from customers where email = ?`, [goneEmail])).toBe(1);
    // Not an address for marketing (the customer consents to e-mail marketing): withheld, as another profile's would be.
    const marketing = await app.gql(`query($id: ID!) { customer(id: $id) { email } }`, { id: f.consenting.id }, { role: Role.MARKETING });
    expect(marketing.data?.customer).toEqual({ email: null });
    expect(marketing.errors?.map((e) => e.extensions?.reason)).toEqual(['NOT_OWN_CONTACT']);
    const unusedEmail = `unused.${uid()}@example.com`;
    const unused = await set(unusedEmail);
    const shape = (r: typeof erased, email: string) => JSON.stringify(r).replaceAll(email, '<email>');
    expect(shape(erased, goneEmail)).toBe(shape(unused, unusedEmail));
    // A write that would make a profile of it is still refused, for everyone: the erased person is not re-created.
    const recreate = await app.gql(`mutation { upsertCustomer(input: { email: "${goneEmail}", firstName: "Back" }) { created } }`);
    expect(recreate.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUPPRESSED' });
    // Staff, who may look customers up by identifier, are told on a write to an existing profile too.
    const staff = await app.gql(`mutation($id: ID!) { upsertCustomer(input: { id: $id, email: "${goneEmail}" }) { created } }`, { id: f.consenting.id }, { role: Role.SUPPORT });
    expect(staff.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUPPRESSED' });
  });
});

describe('ingestEvents from a partner', () => {
  it('tells an events:write-only key nothing about whether an e-mail exists', async () => {
    const t = uid();
    const device = { kind: 'DEVICE', namespace: 'app', value: `dev-${t}` };
    // The partner's own device id, seen before: a known customer of its making.
    await ok(withKey(eventsOnly, INGEST, { events: [view(`seed-${t}`, [device])] }));
    const probe = async (email: string, tag: string) => {
      const paired = await withKey(eventsOnly, INGEST, { events: [view(`pair-${tag}-${t}`, [device, { kind: 'EMAIL', value: email }])] });
      const alone = await withKey(eventsOnly, INGEST, { events: [view(`alone-${tag}-${t}`, [{ kind: 'EMAIL', value: email }])] });
      return JSON.stringify([paired, alone]).replaceAll(email, '<email>').replaceAll(`-${tag}-`, '-');
    };
    const existing = await probe('nope.person@example.com', 'known');
    const unknown = await probe(`nobody.${t}@example.com`, 'unknown');
    expect(existing).toBe(unknown);
    const [paired, alone] = JSON.parse(existing);
    expect(paired.data.ingestEvents.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'FORBIDDEN', reason: 'LINKING' } });
    expect(alone.data.ingestEvents.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: null, interactionId: null });
  });

  it("a first-party key (profiles:write) identifies and links, but its answer is the same whether an e-mail is someone else's or unused", async () => {
    const t = uid();
    const identify = (key: string, identifiers: Array<{ kind: string; value: string; namespace?: string }>, profile: Record<string, unknown> = {}) =>
      ({ kind: 'IDENTIFY', idempotencyKey: key, source: 'first-party', identifiers, profile });
    const probe = async (email: string, tag: string) => {
      const user = { kind: 'EXTERNAL_ID', namespace: 'shop', value: `user-${tag}-${t}` };
      await ok(withKey(firstParty, INGEST, { events: [identify(`seed-${tag}-${t}`, [user])] }));
      const linked = await withKey(firstParty, INGEST, { events: [identify(`link-${tag}-${t}`, [user, { kind: 'EMAIL', value: email }], { firstName: 'Probe' })] });
      const alone = await withKey(firstParty, INGEST, { events: [identify(`alone-${tag}-${t}`, [{ kind: 'EMAIL', value: email }])] });
      return JSON.stringify([linked, alone]).replaceAll(email, '<email>').replaceAll(`-${tag}-`, '-');
    };
    const before = await count(`select count(*) n from identities where customer_id = ?`, [f.private.uuid]);
    const existing = await probe('nope.person@example.com', 'known');
    const unknown = await probe(`nobody.${t}@example.com`, 'unknown');
    expect(existing).toBe(unknown);
    const [linked, alone] = JSON.parse(existing);
    expect(linked.data.ingestEvents.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: null });
    expect(alone.data.ingestEvents.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: null });
    // The other person's e-mail stayed theirs, no profile was merged into or out of theirs; the unused one was linked.
    expect(await app.sql(`select customer_id from identities where kind = 'email' and value = 'nope.person@example.com'`)).toEqual([{ customer_id: f.private.uuid }]);
    expect(await count(`select count(*) n from identities where customer_id = ?`, [f.private.uuid])).toBe(before);
    expect(await count(`select count(*) n from customer_merges where survivor_id = ? or loser_id = ?`, [f.private.uuid, f.private.uuid])).toBe(0);
    expect(await app.sql(`select d2.kind from identities d join identities d2 on d2.customer_id = d.customer_id where d.value = ? order by d2.kind`, [`user-unknown-${t}`]))
      .toEqual([{ kind: 'email' }, { kind: 'external_id' }]);
  });

  it("a first-party key at its identity limit is refused alike whether the identifier is someone else's or unused", async () => {
    const t = uid();
    const identify = (key: string, identifiers: Array<{ kind: string; value: string; namespace?: string }>) =>
      ({ kind: 'IDENTIFY', idempotencyKey: key, source: 'first-party', identifiers, profile: {} });
    // MERGE_POLICY's default limit: one CRM id per customer. Someone else holds crm-taken.
    await ok(withKey(firstParty, INGEST, { events: [identify(`other-${t}`, [{ kind: 'EXTERNAL_ID', namespace: 'shop', value: `other-${t}` }, { kind: 'CRM_ID', namespace: 'crm', value: `crm-taken-${t}` }])] }));
    const probe = async (crmId: string, tag: string) => {
      const user = { kind: 'EXTERNAL_ID', namespace: 'shop', value: `limit-${tag}-${t}` };
      await ok(withKey(firstParty, INGEST, { events: [identify(`seed-${tag}-${t}`, [user, { kind: 'CRM_ID', namespace: 'crm', value: `crm-own-${tag}-${t}` }])] }));
      const res = await withKey(firstParty, INGEST, { events: [identify(`probe-${tag}-${t}`, [user, { kind: 'CRM_ID', namespace: 'crm', value: crmId }])] });
      return JSON.stringify(res).replaceAll(crmId, '<crm>').replaceAll(`-${tag}-`, '-');
    };
    const taken = await probe(`crm-taken-${t}`, 'taken');
    const unused = await probe(`crm-unused-${t}`, 'unused');
    expect(taken).toBe(unused);
    expect(JSON.parse(taken).data.ingestEvents.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'IDENTITY_LIMIT' } });
  });

  it("decides a batch as one by one: an event carrying an erased person's identifier is not written to a profile a later event makes", async () => {
    const t = uid();
    const goneEmail = `gone.batch.${t}@example.com`;
    const gone = await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { email: goneEmail } }));
    await ok(app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: gone.upsertCustomer.customer.id }));
    // The first event names a device nobody holds yet, and the erased person's e-mail: sent alone it would make
    // a profile of them, and is refused. The second makes a profile holding that device.
    const events = (tag: string) => [
      view(`a-${tag}-${t}`, [{ kind: 'DEVICE', namespace: 'app', value: `shared-${tag}-${t}` }, { kind: 'EMAIL', value: goneEmail }]),
      view(`b-${tag}-${t}`, [{ kind: 'DEVICE', namespace: 'app', value: `own-${tag}-${t}` }, { kind: 'DEVICE', namespace: 'app', value: `shared-${tag}-${t}` }]),
    ];
    const statuses = (r: any) => r.data.ingestEvents.results.map((x: any) => [x.status, x.error?.reason ?? null]); // eslint-disable-line @typescript-eslint/no-explicit-any
    const [a, b] = events('single');
    const single = [...statuses(await withKey(firstParty, INGEST, { events: [a] })), ...statuses(await withKey(firstParty, INGEST, { events: [b] }))];
    expect(single).toEqual([['REJECTED', 'SUPPRESSED'], ['ACCEPTED', null]]);
    const batch = await withKey(firstParty, INGEST, { events: events('batch') });
    expect(statuses(batch)).toEqual(single);
    // Nothing of the refused event was stored on the profile the second one made.
    expect(await count(`select count(*) n from interactions where source_event_id = ?`, [`a-batch-${t}`])).toBe(0);
  });

  it('gives a key without customers:contact no row id that node() would map to the profile', async () => {
    const t = uid();
    const res = await withKey(eventsAndReads, INGEST, { events: [view(`node-${t}`, [{ kind: 'EMAIL', value: 'yes.person@example.com' }])] });
    expect(res.data.ingestEvents.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: null, interactionId: null });
    const stored = await app.sql<{ id: string }>(`select id from interactions where source_event_id = ?`, [`node-${t}`]);
    expect(stored).toHaveLength(1);
    // The row exists and belongs to the sharing customer; the partner was just not handed its id.
    const node = await withKey(eventsAndReads, `query($id: ID!) { node(id: $id) { ... on Interaction { customer { id } } } }`, { id: toGlobalId('Interaction', stored[0].id) });
    expect(node.data.node.customer.id).toBe(f.consenting.id);
    // A caller who may look customers up by identifier gets every id.
    const full = await withKey(f.partnerFullKey, INGEST, { events: [view(`node-full-${t}`, [{ kind: 'EMAIL', value: 'yes.person@example.com' }])] });
    expect(full.data.ingestEvents.results[0]).toMatchObject({ status: 'ACCEPTED', customerId: f.consenting.id, interactionId: expect.any(String) });
  });

  it('may not link a new device id to a customer, least of all one who refused third-party sharing (policy linkIdentifiers)', async () => {
    const t = uid();
    const before = await count(`select count(*) n from identities where customer_id = ?`, [f.private.uuid]);
    for (const key of [eventsOnly, allButProfiles]) {
      const res = await withKey(key, INGEST, { events: [view(`link-${t}-${key.slice(4, 10)}`, [{ kind: 'EMAIL', value: 'nope.person@example.com' }, { kind: 'DEVICE', namespace: 'app', value: `new-${t}` }])] });
      expect(res.data.ingestEvents.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'FORBIDDEN', reason: 'LINKING', field: 'events[0].identifiers' } });
    }
    expect(await count(`select count(*) n from identities where customer_id = ?`, [f.private.uuid])).toBe(before);
    expect(await count(`select count(*) n from identities where value = ?`, [`new-${t}`])).toBe(0);
    // Support may: the device becomes the customer's.
    const staff = await ok<{ ingestEvents: { results: Array<{ status: string }> } }>(app.gql(INGEST, { events: [view(`link-staff-${t}`, [{ kind: 'EMAIL', value: 'nope.person@example.com' }, { kind: 'DEVICE', namespace: 'app', value: `new-${t}` }])] }, { role: Role.SUPPORT }));
    expect(staff.ingestEvents.results[0].status).toBe('ACCEPTED');
    expect(await app.sql(`select customer_id from identities where value = ?`, [`new-${t}`])).toEqual([{ customer_id: f.private.uuid }]);
  });

  it('answers an event naming a customer id the partner may not see exactly as one naming no customer', async () => {
    const t = uid();
    const byId = (customerId: string, tag: string) => ({
      kind: 'INTERACTION', idempotencyKey: `byid-${tag}-${t}`, source: 'partner-feed', customerId,
      interaction: { occurredAt: '2026-03-01T10:00:00.000Z', channel: 'WEB', type: 'PAGE_VIEW' },
    });
    const before = await count(`select count(*) n from interactions where customer_id = ?`, [f.private.uuid]);
    const hidden = await withKey(eventsOnly, INGEST, { events: [byId(f.private.id, 'x')] });
    const missing = await withKey(eventsOnly, INGEST, { events: [byId(toGlobalId('Customer', '00000000-0000-4000-8000-000000000000'), 'x')] });
    expect(hidden).toEqual(missing);
    expect(hidden.data.ingestEvents.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'NOT_FOUND' } });
    expect(await count(`select count(*) n from interactions where customer_id = ?`, [f.private.uuid])).toBe(before);
    const shared = await withKey(eventsOnly, INGEST, { events: [byId(f.consenting.id, 'y')] });
    expect(shared.data.ingestEvents.results[0].status).toBe('ACCEPTED');
  });
});

describe('single activity writes from a partner', () => {
  it('recordInteraction, recordOrder, recordFeedback: a customer the partner may not see is NOT_FOUND like an unknown id, and nothing is written', async () => {
    const unknownId = toGlobalId('Customer', '00000000-0000-4000-8000-000000000001');
    const writes: Array<[string, (c: string, t: string) => Record<string, unknown>]> = [
      ['mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate interaction { id } } }',
        (c, t) => ({ customerId: c, channel: 'WEB', type: 'PAGE_VIEW', sourceEventId: `ri-${t}`, occurredAt: '2026-01-02T03:04:05.000Z' })],
      ['mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }',
        (c, t) => ({ customerId: c, externalId: `ro-${t}`, placedAt: '2026-01-02T03:04:05.000Z', channel: 'WEB', currency: 'EUR', lines: [{ productId: f.productId, quantity: 1 }] })],
      ['mutation($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id } }', (c) => ({ customerId: c, kind: 'NPS', score: 9 })],
    ];
    const rows = async () => count(
      `select (select count(*) from interactions where customer_id = ?) + (select count(*) from orders where customer_id = ?) + (select count(*) from feedback where customer_id = ?) n`,
      [f.private.uuid, f.private.uuid, f.private.uuid],
    );
    const before = await rows();
    for (const [query, input] of writes) {
      const t = uid();
      const hidden = await withKey(eventsOnly, query, { input: input(f.private.id, t) });
      const missing = await withKey(eventsOnly, query, { input: input(unknownId, t) });
      expect({ query, answer: hidden }).toEqual({ query, answer: missing });
      expect(hidden.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
      // A customer who shares with third parties is written to as before.
      const shared = await withKey(f.partnerFullKey, query, { input: input(f.consenting.id, `${t}-ok`) });
      expect({ query, errors: shared.errors }).toEqual({ query, errors: undefined });
    }
    expect(await rows()).toBe(before);
  });
});
