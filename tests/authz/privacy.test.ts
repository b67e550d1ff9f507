import { startTestApp, type TestApp } from '../helpers/test-server';
import { asViewer, createAuthzFixtures, VIEWERS, type AuthzFixtures } from './fixtures';
import { Role } from '../../src/auth/viewer';
import { seedDemoData } from '../../src/cli/seed';
import { signToken } from '../../src/auth/jwt';
import { TEST_JWT_SECRET } from '../helpers/test-server';
import { makeProduct, ok } from '../helpers/fixtures';
import { createHash, createHmac } from 'node:crypto';
import { createServer } from '../../src/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { DEV_PSEUDONYM_KEY } from '../../src/auth/pseudonyms';
import { toGlobalId } from '../../src/schema/global-id';
import { NOT_EXPORTED, PERSON_SECTIONS, PROFILE_SECTIONS } from '../../src/services/privacy.service';
import { readFileSync } from 'node:fs';
import path from 'node:path';

let app: TestApp;
let f: AuthzFixtures;
const viewer = (name: string) => VIEWERS.find((v) => v.name.startsWith(name))!;

beforeAll(async () => {
  app = await startTestApp();
  f = await createAuthzFixtures(app);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const leaks = (body: unknown, values: string[]) => values.filter((v) => JSON.stringify(body).includes(v));

describe('cross-customer probes by a signed-in customer', () => {
  const self = () => viewer('customer');

  it('sees itself through me, customer and node', async () => {
    const res = await asViewer(app, f, self(), `query($id: ID!) { me { email } customer(id: $id) { email } node(id: $id) { ... on Customer { email } } }`, { id: f.consenting.id });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ me: { email: 'yes.person@example.com' }, customer: { email: 'yes.person@example.com' }, node: { email: 'yes.person@example.com' } });
  });

  it('gets nothing of another customer through ids, node, nodes, aliases, fragments or nested back-references', async () => {
    const other = f.private;
    const probes = [
      [`query($id: ID!) { customer(id: $id) { email firstName orders(first: 5) { nodes { id } } } }`, { id: other.id }],
      [`query($id: ID!) { node(id: $id) { id ... on Customer { email phone } } }`, { id: other.id }],
      [`query($id: ID!) { node(id: $id) { ... on Order { total { amountMinor } customer { email } } } }`, { id: other.orderId }],
      [`query($id: ID!) { node(id: $id) { ... on Feedback { text customer { email } } } }`, { id: other.feedbackId }],
      [`query($a: ID!, $b: ID!) { nodes(ids: [$a, $b]) { ... on Customer { email } } }`, { a: f.consenting.id, b: other.id }],
      [`query($a: ID!, $b: ID!) { mine: customer(id: $a) { email } theirs: customer(id: $b) { email } }`, { a: f.consenting.id, b: other.id }],
      [`fragment P on Customer { email phone address { city } identities { value } } query($b: ID!) { x: customer(id: $b) { ...P } y: node(id: $b) { ...P } }`, { b: other.id }],
      [`query { customerByIdentifier(kind: EMAIL, value: "nope.person@example.com") { id } }`, {}],
      [`query { customers(first: 100) { nodes { email } } }`, {}],
      [`query($id: ID!) { exportCustomerData(customerId: $id) }`, { id: other.id }],
    ] as const;
    for (const [query, variables] of probes) {
      const res = await asViewer(app, f, self(), query, variables as Record<string, unknown>);
      expect({ query, leaked: leaks(res, other.pii) }).toEqual({ query, leaked: [] });
      expect(JSON.stringify(res)).not.toContain(other.uuid);
    }
  });

  it("answers null for another customer's objects through node and nodes: not even the type tells that they exist", async () => {
    const other = f.private;
    const probe = `query($ids: [ID!]!, $c: ID!, $o: ID!, $fb: ID!) {
      c: node(id: $c) { __typename } o: node(id: $o) { __typename } fb: node(id: $fb) { __typename }
      all: nodes(ids: $ids) { __typename id } }`;
    const res = await asViewer(app, f, self(), probe, {
      c: other.id, o: other.orderId, fb: other.feedbackId, ids: [f.consenting.id, other.id, other.orderId, other.feedbackId, f.consenting.orderId],
    });
    expect(res.data).toEqual({
      c: null, o: null, fb: null,
      all: [{ __typename: 'Customer', id: f.consenting.id }, null, null, null, { __typename: 'Order', id: f.consenting.orderId }],
    });
    // The same answer as for an id that names nothing at all.
    const missing = await asViewer(app, f, self(), `query($id: ID!) { node(id: $id) { __typename } }`, { id: toGlobalId('Customer', '00000000-0000-4000-8000-000000000000') });
    expect({ data: missing.data, errors: missing.errors }).toEqual({ data: { node: null }, errors: res.errors });
  });

  it('may not change another customer, and a refused write changes nothing', async () => {
    const before = await app.sql(`select count(*)::int n from consent_records where customer_id = ?`, [f.private.uuid]);
    const res = await asViewer(app, f, self(), `mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: EMAIL_MARKETING, channel: EMAIL, status: GRANTED, source: "x", policyVersion: "v1" }) { id } }`, { c: f.private.id });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_OWNER' });
    expect(await app.sql(`select count(*)::int n from consent_records where customer_id = ?`, [f.private.uuid])).toEqual(before);
    const upd = await asViewer(app, f, self(), `mutation($c: ID!) { upsertCustomer(input: { id: $c, firstName: "Hijacked" }) { created } }`, { c: f.private.id });
    expect(upd.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_OWNER' });
    const noId = await asViewer(app, f, self(), `mutation { upsertCustomer(input: { email: "new.person@example.com" }) { created } }`);
    expect(noId.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_OWNER' });
    expect(await app.sql(`select count(*)::int n from customers where first_name = 'Hijacked' or email = 'new.person@example.com'`)).toEqual([{ n: 0 }]);
  });
});

describe('consent enforcement for marketing', () => {
  it('a marketing list returns no contact data of customers without the matching consent', async () => {
    const res = await asViewer(app, f, viewer('marketing'), `{ customers(first: 100) { nodes { id firstName email phone lastSeenAt } } }`);
    const nodes = res.data.customers.nodes as Array<{ id: string; email: string | null } | null>;
    expect(nodes.map((n) => n?.id)).toEqual(expect.arrayContaining([f.consenting.id, f.private.id]));
    expect(leaks(res, f.private.pii)).toEqual([]);
    expect(leaks(res, ['yes.person@example.com', 'YesFirst', '+442079460111'])).toHaveLength(3);
    const denied = (res.errors ?? []).filter((e) => e.extensions?.reason === 'NO_CONSENT').map((e) => e.path?.[e.path.length - 1]);
    expect(new Set(denied)).toEqual(new Set(['firstName', 'email', 'phone']));
  });

  it('channel-specific: withdrawing email consent hides the email but not the phone', async () => {
    await app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: EMAIL_MARKETING, channel: EMAIL, status: WITHDRAWN, source: "preference_centre", policyVersion: "v2" }) { id } }`, { c: f.consenting.id });
    const res = await asViewer(app, f, viewer('marketing'), `query($id: ID!) { customer(id: $id) { email phone firstName } }`, { id: f.consenting.id });
    expect(res.data.customer).toEqual({ email: null, phone: '+442079460111', firstName: 'YesFirst' });
    expect(res.errors?.map((e) => [e.path, e.extensions?.reason])).toEqual([[['customer', 'email'], 'NO_CONSENT']]);
    // A later ANY-channel grant for the purpose covers email again: the newest decision wins.
    await app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: EMAIL_MARKETING, status: GRANTED, source: "preference_centre", policyVersion: "v3" }) { id } }`, { c: f.consenting.id });
    const again = await asViewer(app, f, viewer('marketing'), `query($id: ID!) { customer(id: $id) { email } }`, { id: f.consenting.id });
    expect(again.data.customer).toEqual({ email: 'yes.person@example.com' });
  });

  it('targeting filters select by the consent in force', async () => {
    const res = await asViewer(app, f, viewer('marketing'), `{ customers(first: 100, filter: { consent: { purpose: EMAIL_MARKETING, channel: EMAIL } }) { totalCount nodes { id email } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.customers.nodes.map((n: { id: string }) => n.id)).toEqual([f.consenting.id]);
    const pii = await asViewer(app, f, viewer('marketing'), `{ customers(first: 5, filter: { search: "Nope" }) { totalCount } }`);
    expect(pii.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PII_FILTER' });
  });

  it('consent checks stay batched: statements do not grow with the list', async () => {
    const big = await startTestApp();
    try {
      await seedDemoData(big.orm, { customers: 120, seed: 3 });
      const q = `query($n: Int!) { customers(first: $n) { nodes { email phone firstName orders(first: 2) { nodes { total { amountMinor } } } } } }`;
      const small = await big.gql(q, { n: 5 }, { role: Role.MARKETING });
      const large = await big.gql(q, { n: 100 }, { role: Role.MARKETING });
      expect(large.data.customers.nodes).toHaveLength(100);
      expect(large.extensions!.sqlStatements).toBe(small.extensions!.sqlStatements);
    } finally {
      await big.close();
    }
  });
});

describe('segment rules on traits (a member list shows who matches)', () => {
  const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id memberCount customers(first: 10) { nodes { id } } } }`;
  const UPDATE = `mutation($input: UpdateSegmentInput!) { updateSegment(input: $input) { id } }`;
  const trait = (key: string, text: string) => ({ trait: { key, op: 'CONTAINS', text } });
  afterEach(() => {
    app.config.segmentTraitKeys = [];
  });

  it('marketing may not segment by a trait it may not read, however nested, and nothing is written', async () => {
    const before = await app.sql(`select count(*)::int n from segments`);
    for (const rule of [trait('note', 'Yes'), { all: [{ country: ['GB'] }, { any: [{ not: trait(' note ', 'Nope') }] }] }]) {
      const res = await asViewer(app, f, viewer('marketing'), CREATE, { input: { name: `by note ${JSON.stringify(rule).length}`, rule } });
      expect(res.data?.createSegment ?? null).toBeNull();
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PII_FILTER' });
      expect(res.errors?.[0].message).toContain('"note"');
    }
    expect(await app.sql(`select count(*)::int n from segments`)).toEqual(before);
    // An admin may (and so the members of such a segment are the admin's choice to show).
    const admin = await asViewer(app, f, viewer('admin'), CREATE, { input: { name: 'note contains Yes', rule: trait('note', 'Yes') } });
    expect(admin.errors).toBeUndefined();
    expect(admin.data.createSegment.customers.nodes).toEqual([{ id: f.consenting.id }]);
    // Nor may marketing put a trait condition into an existing segment.
    const upd = await asViewer(app, f, viewer('marketing'), UPDATE, { input: { id: admin.data.createSegment.id, rule: trait('note', 'Nope') } });
    expect(upd.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PII_FILTER' });
    expect(await app.sql(`select rule from segments where name = 'note contains Yes'`)).toEqual([{ rule: { trait: { key: 'note', op: 'contains', text: 'Yes' } } }]);
  });

  it('the keys SEGMENT_TRAIT_KEYS lists are open to marketing, and only those', async () => {
    app.config.segmentTraitKeys = ['note'];
    const ok1 = await asViewer(app, f, viewer('marketing'), CREATE, { input: { name: 'listed key', rule: { all: [trait('note', 'Yes'), { country: ['GB'] }] } } });
    expect(ok1.errors).toBeUndefined();
    expect(ok1.data.createSegment.memberCount).toBe(1);
    const other = await asViewer(app, f, viewer('marketing'), CREATE, { input: { name: 'unlisted key', rule: { any: [trait('note', 'Yes'), trait('diagnosis', 'x')] } } });
    expect(other.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PII_FILTER' });
    expect(other.errors?.[0].message).toContain('"diagnosis"');
  });
});

describe('partners', () => {
  it('list and read only customers who share with third parties', async () => {
    const res = await asViewer(app, f, viewer('partner (all'), `{ customers(first: 100) { totalCount nodes { id email } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.customers).toEqual({ totalCount: 1, nodes: [{ id: f.consenting.id, email: 'yes.person@example.com' }] });
    const direct = await asViewer(app, f, viewer('partner (all'), `query($id: ID!) { customer(id: $id) { id } }`, { id: f.private.id });
    expect(direct.data.customer).toBeNull();
  });

  it('keys: shown once, stored hashed, revocable, expiring', async () => {
    const created = await app.gql(`mutation { createApiKey(input: { name: "crm-sync", scopes: ["customers:read"] }) { secret apiKey { id prefix scopes revokedAt } } }`);
    const { secret, apiKey } = created.data.createApiKey;
    expect(secret).toMatch(/^rpk_[a-z0-9]{12}_/);
    const secretPart = secret.slice('rpk_'.length + 12 + 1); // base64url may itself contain '_'
    const stored = await app.sql<{ secret_hash: string }>(`select secret_hash from api_keys where prefix = ?`, [apiKey.prefix]);
    expect(stored[0].secret_hash).not.toContain(secretPart);
    const listed = await app.gql(`{ apiKeys { name prefix } }`);
    expect(JSON.stringify(listed)).not.toContain(secretPart);
    const use = (key: string) => fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }) });
    expect((await use(secret)).status).toBe(200);
    expect((await use(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A'))).status).toBe(401);
    await app.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: apiKey.id });
    expect((await use(secret)).status).toBe(401);
    const expiring = await app.gql(`mutation { createApiKey(input: { name: "short", scopes: ["customers:read"], expiresAt: "${new Date(Date.now() + 60_000).toISOString()}" }) { secret apiKey { prefix } } }`);
    await app.sql(`update api_keys set expires_at = now() - interval '1 second' where prefix = ?`, [expiring.data.createApiKey.apiKey.prefix]);
    expect((await use(expiring.data.createApiKey.secret)).status).toBe(401);
    const bad = await app.gql(`mutation { createApiKey(input: { name: "x", scopes: ["everything"] }) { secret } }`);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('audit log', () => {
  it('records personal-data reads per customer (field names, never values) and privileged writes', async () => {
    const before = await app.sql<{ n: number }>(`select count(*)::int n from audit_log`);
    const read = await app.gql(`query($id: ID!) { customer(id: $id) { email phone lastSeenAt feedback(first: 1) { nodes { text } } } }`, { id: f.private.id }, { role: Role.SUPPORT, });
    expect(read.errors).toBeUndefined();
    const rows = await app.sql<Record<string, unknown>>(`select * from audit_log order by at desc, id desc limit 1`);
    expect(rows[0]).toMatchObject({ action: 'READ', role: 'support', customer_id: f.private.uuid, fields: ['Customer.email', 'Customer.phone', 'Feedback.text'] });
    // The actor is a keyed pseudonym of the token's subject, the same for every request of that subject.
    expect(rows[0].actor).toMatch(/^sub:[0-9a-f]{32}$/);
    expect(rows[0].actor).toBe(app.config.pseudonymKeys.actor('test-support'));
    expect(leaks(rows, f.private.pii)).toEqual([]);
    const nonPii = await app.gql(`query($id: ID!) { customer(id: $id) { lastSeenAt status } }`, { id: f.private.id }, { role: Role.SUPPORT });
    expect(nonPii.errors).toBeUndefined();
    expect(await app.sql<{ n: number }>(`select count(*)::int n from audit_log`)).toEqual([{ n: before[0].n + 1 }]);

    await app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: ANALYTICS, status: GRANTED, source: "support_call", policyVersion: "v1" }) { id } }`, { c: f.private.id }, { role: Role.SUPPORT });
    const writes = await app.sql<Record<string, unknown>>(`select action, operation, role, customer_id from audit_log where action = 'WRITE' order by at desc, id desc limit 1`);
    expect(writes[0]).toEqual({ action: 'WRITE', operation: 'setConsent', role: 'support', customer_id: f.private.uuid });

    const log = await app.gql(`query($c: ID!) { auditLog(first: 50, customerId: $c) { totalCount nodes { action operation role fields customerId } } }`, { c: f.private.id });
    expect(log.data.auditLog.nodes[0]).toMatchObject({ action: 'WRITE', operation: 'setConsent', customerId: f.private.id });
    const denied = await app.gql(`{ auditLog(first: 1) { totalCount } }`, {}, { role: Role.SUPPORT });
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('data-subject rights', () => {
  it('exports everything held about a customer as one document', async () => {
    const res = await asViewer(app, f, viewer('customer'), `query($id: ID!) { exportCustomerData(customerId: $id) }`, { id: f.consenting.id });
    expect(res.errors).toBeUndefined();
    const doc = res.data.exportCustomerData;
    // The original sections, and those added after (README "Privacy").
    expect(Object.keys(doc).sort()).toEqual([
      'consents', 'exportedAt', 'feedback', 'identities', 'ingestEvents', 'interactionRollups', 'interactions', 'lifecycle', 'mergedProfiles', 'merges',
      'metrics', 'offerGrants', 'orders', 'preferences', 'profile', 'segmentMemberships', 'supportTasks', 'triggerFirings',
    ]);
    for (const value of f.consenting.pii) expect(JSON.stringify(doc)).toContain(value);
    expect(doc.orders[0].lines[0]).toMatchObject({ sku: 'AUTHZ-1', quantity: 1, unitPriceMinor: 1000 });
  });

  it('covers every table that names a customer, or says why not, and everything erasure scrubs or deletes', async () => {
    // Tables (not partitions) with a foreign key to customers or a customer column, from the catalogue.
    const owned = (await app.sql<{ t: string }>(
      `select distinct c.relname::text t from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
         and (c.relname = 'customers'
              or exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'f' and k.confrelid = 'customers'::regclass)
              or exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attname in ('customer_id', 'customer_ids')))
       order by 1`)).map((r) => r.t);
    const exported = new Set([...PROFILE_SECTIONS.flatMap((s) => s.tables), ...Object.values(PERSON_SECTIONS).flat()]);
    expect(owned.filter((t) => !exported.has(t) && !(t in NOT_EXPORTED))).toEqual([]);
    expect(Object.keys(NOT_EXPORTED).filter((t) => !owned.includes(t) || exported.has(t))).toEqual([]);
    // What eraseCustomer deletes from or rewrites, read from its source: all of it is the person's, so all of it is exported.
    const source = readFileSync(path.join(__dirname, '../../src/services/privacy.service.ts'), 'utf8');
    const erasure = source.slice(source.indexOf('export async function eraseCustomer'), source.indexOf('export async function upgradeLegacyDigests'));
    const erased = [...new Set([...erasure.matchAll(/\b(?:delete\s+from|update)\s+(\w+)\s+(?:\w+\s+)?(?:set|where)\b/gi)].map((m) => m[1]))].sort();
    expect(erased).toEqual(expect.arrayContaining(['customer_merges', 'customer_metrics', 'customers', 'identities', 'ingest_events', 'offer_grants', 'trigger_firings']));
    expect(erased.filter((t) => !exported.has(t))).toEqual([]);
  });

  it("exports the whole person: profiles merged into it with their data, the merge ledger, model outputs, stages, segments, triggers' records", async () => {
    const t = Date.now().toString(36);
    const mail = (n: string) => `${n}.${t}@export.example.com`;
    const upsert = async (input: Record<string, unknown>) =>
      (await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input }))).upsertCustomer.customer.id;
    const uuid = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1];
    const e = await upsert({ email: mail('xena'), firstName: `Xena${t}` });
    // The loser arrives through ingestion (an idempotency key naming the person) with traits of its own.
    const ingested = await ok<{ ingestEvents: { results: Array<{ customerId: string }> } }>(app.gql(
      `mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { results { status customerId } } }`,
      { events: [{ kind: 'IDENTIFY', idempotencyKey: `signup-${mail('xenia')}`, source: 'shop', identifiers: [{ kind: 'EMAIL', value: mail('xenia') }],
        profile: { firstName: `Xenia${t}`, traits: { note: `loser-trait-${t}` } } }] },
    ));
    const loser = ingested.ingestEvents.results[0].customerId;
    const product = await makeProduct(app, { sku: `EXP-${t}`, priceMinor: 700 });
    await ok(app.gql(`mutation($i: RecordOrderInput!) { recordOrder(input: $i) { created } }`, {
      i: { customerId: e, channel: 'WEB', currency: 'EUR', placedAt: new Date(Date.now() - 40 * 86_400_000).toISOString(), lines: [{ sku: product.sku, quantity: 2 }] } }));
    await ok(app.gql(`mutation($i: SetConsentInput!) { setConsent(input: $i) { id } }`, { i: { customerId: e, purpose: 'EMAIL_MARKETING', status: 'GRANTED', source: 'test', policyVersion: 'v1' } }));
    const segment = `export-probe-${t}`;
    await ok(app.gql(`mutation($n: String!) { createSegment(input: { name: $n, rule: { consent: { purpose: EMAIL_MARKETING } } }) { id } }`, { n: segment }));
    // Model outputs and stages for both, before the merge (metrics and stages stay with the loser).
    await ok(app.gql('mutation { recomputeAnalytics { customers } }'));
    // What triggers record: a firing and a support task for the survivor, an offer grant for the loser.
    const trigger = (await ok<{ createTrigger: { id: string } }>(app.gql(`mutation($i: CreateTriggerInput!) { createTrigger(input: $i) { id } }`,
      { i: { name: `export-trigger-${t}`, condition: 'COMPLAINT_RECORDED', action: 'SUPPORT_TASK', enabled: false } }))).createTrigger.id;
    const offer = (await ok<{ createOffer: { id: string } }>(app.gql(`mutation($i: CreateOfferInput!) { createOffer(input: $i) { id } }`,
      { i: { code: `EXP-${t}`, name: 'Export offer', valueMinor: 500, currency: 'EUR', channels: ['EMAIL'], startsAt: new Date().toISOString(), status: 'ACTIVE' } }))).createOffer.id;
    const [{ event }] = await app.sql<{ event: string }>('select max(id)::text event from outbox_events where customer_id = ?', [uuid(e)]);
    const [firing] = await app.sql<{ id: string }>(
      `insert into trigger_firings (trigger_id, customer_id, event_id, event_type, status, due_at, decided_at) values (?, ?, ?, 'feedback.recorded', 'fired', now(), now()) returning id`,
      [uuid(trigger), uuid(e), event]);
    await app.sql(`insert into support_tasks (customer_id, title, note, event_type, trigger_id, firing_id) values (?, 'Call back', ?, 'feedback.recorded', ?, ?)`,
      [uuid(e), `task-note-${t}`, uuid(trigger), firing.id]);
    await app.sql(`insert into offer_grants (customer_id, offer_id, firing_id, expires_at) values (?, ?, gen_random_uuid(), now() + interval '14 days')`, [uuid(loser), uuid(offer)]);
    await app.sql(`insert into interaction_rollups (customer_id, month, type, channel, n, first_at, last_at) values (?, date '2025-01-01', 'page_view', 'web', 7, now() - interval '700 days', now() - interval '690 days')`, [uuid(e)]);
    const merge = (await ok<{ mergeCustomers: { merge: { id: string } } }>(app.gql(`mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { merge { id } } }`,
      { input: { survivorId: e, loserId: loser, reason: `same person ${t}` } }))).mergeCustomers.merge.id;
    // Someone else, merged into the person by mistake and split off again: not theirs to read.
    const stranger = await upsert({ email: mail('stranger'), firstName: `Stranger${t}`, traits: { note: `stranger-trait-${t}` } });
    const wrong = (await ok<{ mergeCustomers: { merge: { id: string } } }>(app.gql(`mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { merge { id } } }`,
      { input: { survivorId: e, loserId: stranger, reason: `${mail('stranger')} looked alike` } }))).mergeCustomers.merge.id;
    await ok(app.gql(`mutation($id: ID!) { unmergeCustomers(mergeId: $id) { merge { id } } }`, { id: wrong }));

    // The customer, signed in, exports: same access rule as before (a customer token names itself).
    const token = await signToken(TEST_JWT_SECRET, { sub: mail('xena'), role: Role.CUSTOMER, customerId: e });
    const res = await app.gql(`query($id: ID!) { exportCustomerData(customerId: $id) }`, { id: e }, { token });
    expect(res.errors).toBeUndefined();
    const doc = res.data.exportCustomerData;
    const json = JSON.stringify(doc);
    for (const own of [mail('xena'), `Xena${t}`, mail('xenia'), `Xenia${t}`, `loser-trait-${t}`, `signup-${mail('xenia')}`, `task-note-${t}`, `same person ${t}`]) expect([own, json.includes(own)]).toEqual([own, true]);
    for (const theirs of [mail('stranger'), `Stranger${t}`, `stranger-trait-${t}`]) expect([theirs, json.includes(theirs)]).toEqual([theirs, false]);
    expect(JSON.stringify(await app.gql(`query($id: ID!) { exportCustomerData(customerId: $id) }`, { id: loser }, { token }))).toContain('FORBIDDEN');

    const db = async (sql: string, id: string) => app.sql<Record<string, unknown>>(sql, [uuid(id)]);
    expect(doc.profile).toMatchObject({ id: uuid(e), email: mail('xena'), status: 'active' });
    expect(doc.mergedProfiles).toHaveLength(1);
    const lost = doc.mergedProfiles[0];
    expect(lost.profile).toMatchObject({ id: uuid(loser), status: 'merged', first_name: `Xenia${t}`, traits: { note: `loser-trait-${t}` } });
    expect(lost.ingestEvents).toEqual([expect.objectContaining({ source: 'shop', idempotency_key: `signup-${mail('xenia')}`, kind: 'IDENTIFY' })]);
    expect(lost.offerGrants).toEqual([expect.objectContaining({ offer_id: uuid(offer), offerCode: `EXP-${t}`, offerName: 'Export offer' })]);
    // Model outputs and stages, of each profile, as stored.
    for (const [section, id] of [[doc, e], [lost, loser]] as const) {
      const [metrics] = await db('select orders_count, value_tier, rfm_segment, lifecycle_stage from customer_metrics where customer_id = ?', id);
      expect(metrics).toBeDefined();
      expect(section.metrics).toMatchObject(metrics);
      const [stage] = await db('select stage from customer_lifecycle_states where customer_id = ?', id);
      const transitions = await db('select from_stage, to_stage from customer_lifecycle_transitions where customer_id = ? order by at, id', id);
      expect(transitions.length).toBeGreaterThan(0);
      expect(section.lifecycle.stage).toMatchObject(stage);
      expect(section.lifecycle.transitions.map((x: Record<string, unknown>) => ({ from_stage: x.from_stage, to_stage: x.to_stage }))).toEqual(transitions);
    }
    expect(doc.metrics.orders_count).toBe(1);
    expect(doc.segmentMemberships).toEqual([expect.objectContaining({ segmentName: segment, left_at: null })]);
    expect(doc.triggerFirings).toEqual([expect.objectContaining({ id: firing.id, triggerName: `export-trigger-${t}`, status: 'fired' })]);
    expect(doc.supportTasks).toEqual([expect.objectContaining({ firing_id: firing.id, title: 'Call back', note: `task-note-${t}` })]);
    expect(doc.interactionRollups).toEqual([expect.objectContaining({ type: 'page_view', channel: 'web', n: 7 })]);
    // The ledger: the standing merge whole (both snapshots, the reason), the undone one only on the person's side.
    expect(doc.merges).toEqual([
      expect.objectContaining({ id: uuid(merge), survivor_id: uuid(e), loser_id: uuid(loser), reason: `same person ${t}`, loser_before: expect.objectContaining({ first_name: `Xenia${t}` }) }),
      expect.objectContaining({ id: uuid(wrong), survivor_id: uuid(e), survivor_before: expect.objectContaining({ email: mail('xena') }), undone_at: expect.any(String) }),
    ]);
    expect(Object.keys(doc.merges[1]).sort()).toEqual(['automatic', 'created_at', 'id', 'survivor_before', 'survivor_id', 'undone_at']);
    expect(doc.merges.flatMap((m: Record<string, unknown>) => ['actor', 'undone_by'].filter((k) => k in m))).toEqual([]);
  });

  it('erases one customer completely, keeps order amounts, blocks re-creation, and touches no one else', async () => {
    const target = f.private;
    const othersDigest = async () =>
      (await app.sql<{ d: string }>(
        `select md5(string_agg(x, '|' order by x)) d from (
           select c::text x from customers c where id <> ? union all select i::text from identities i where customer_id <> ?
           union all select o::text from orders o where customer_id <> ? union all select l::text from order_lines l where customer_id <> ?
           union all select n::text from interactions n where customer_id <> ? union all select fb::text from feedback fb where customer_id <> ?
           union all select r::text from consent_records r where customer_id <> ?) s`,
        Array(7).fill(target.uuid),
      ))[0].d;
    // The person also reached the ledgers: an ingested event, and a merge into someone else, undone.
    const ingested = await app.gql(`mutation($e: [IngestEventInput!]!) { ingestEvents(events: $e) { results { status } } }`, { e: [{
      kind: 'INTERACTION', idempotencyKey: 'erasure-probe-1', source: 'web', identifiers: [{ kind: 'EMAIL', value: 'nope.person@example.com' }],
      interaction: { occurredAt: '2026-02-01T10:00:00.000Z', channel: 'WEB', type: 'PAGE_VIEW' } }] });
    expect(ingested.data.ingestEvents.results).toEqual([{ status: 'ACCEPTED' }]);
    const keeper = await app.gql(`mutation { upsertCustomer(input: { email: "keeper.person@example.com", firstName: "Keeper" }) { customer { id } } }`);
    const merged = await app.gql(`mutation($s: ID!, $l: ID!) { mergeCustomers(input: { survivorId: $s, loserId: $l, reason: "probe" }) { merge { id } } }`,
      { s: keeper.data.upsertCustomer.customer.id, l: target.id });
    expect((await app.gql(`mutation($id: ID!) { unmergeCustomers(mergeId: $id) { merge { id } } }`, { id: merged.data.mergeCustomers.merge.id })).errors).toBeUndefined();
    const snapshots = await app.sql<{ s: string }>(`select string_agg(m::text, '|') s from customer_merges m`);
    expect(leaks(snapshots[0].s, target.pii)).toEqual(expect.arrayContaining(['nope.person@example.com', 'NopeFirst', 'Nope Road 1']));

    const before = await othersDigest();
    const ordersBefore = await app.sql(`select id, total_minor, currency from orders where customer_id = ? order by id`, [target.uuid]);

    const res = await app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed interactionsScrubbed feedbackScrubbed customer { status email } } }`, { c: target.id });
    expect(res.errors).toBeUndefined();
    expect(res.data.eraseCustomer).toMatchObject({ identifiersSuppressed: 3, interactionsScrubbed: 1, feedbackScrubbed: 1, customer: { status: 'ERASED', email: null } });

    // No personal value of this customer remains anywhere in the database.
    const everything = await app.sql<{ dump: string }>(
      `select concat_ws('|', (select string_agg(c::text, '|') from customers c), (select string_agg(i::text, '|') from identities i),
        (select string_agg(n::text, '|') from interactions n), (select string_agg(fb::text, '|') from feedback fb),
        (select string_agg(a::text, '|') from audit_log a), (select string_agg(r::text, '|') from consent_records r),
        (select string_agg(p::text, '|') from customer_preferences p), (select string_agg(m::text, '|') from customer_merges m),
        (select string_agg(e::text, '|') from ingest_events e)) dump`,
    );
    expect(leaks(everything[0].dump, target.pii)).toEqual([]);
    expect(await app.sql(`select id, total_minor, currency from orders where customer_id = ? order by id`, [target.uuid])).toEqual(ordersBefore);
    expect(await othersDigest()).toBe(before);

    const recreate = await app.gql(`mutation { upsertCustomer(input: { email: "nope.person@example.com", firstName: "Again" }) { created } }`);
    expect(recreate.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUPPRESSED' });
    const exported = await app.gql(`query($c: ID!) { exportCustomerData(customerId: $c) }`, { c: target.id });
    // Both answer as for an id that never existed: the same message, the argument named.
    const notFound = { message: 'customer not found', extensions: { code: 'NOT_FOUND', field: 'customerId' } };
    expect(exported.errors).toEqual([expect.objectContaining(notFound)]);
    const again = await app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: target.id });
    expect(again.errors).toEqual([expect.objectContaining(notFound)]);
    const never = Buffer.from('Customer:00000000-0000-4000-8000-00000000dead').toString('base64url');
    expect((await app.gql(`query($c: ID!) { exportCustomerData(customerId: $c) }`, { c: never })).errors).toEqual([expect.objectContaining(notFound)]);
    expect((await app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: never })).errors).toEqual([expect.objectContaining(notFound)]);
  });
  it('erases every profile merged into the customer, transitively, with the merge reasons, ledger snapshots, event keys and the actor e-mail', async () => {
    const t = Date.now().toString(36);
    const mail = (n: string) => `${n}.${t}@erase.example.com`;
    const pii = [mail('eve'), mail('evelyn'), mail('evie'), `Evelyn${t}`, `Evie${t}`, `E2-trait-${t}`, `E3-trait-${t}`, `E2-said-${t}`, '+442079460777'];
    const upsert = async (input: Record<string, unknown>) =>
      (await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input }))).upsertCustomer.customer.id;
    const e = await upsert({ email: mail('eve'), firstName: 'Eve' });
    // E2 arrives through ingestion: its idempotency key names the person, as senders' keys often do.
    const ingested = await ok<{ ingestEvents: { results: Array<{ status: string; customerId: string }> } }>(app.gql(
      `mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { results { status customerId } } }`,
      { events: [{ kind: 'IDENTIFY', idempotencyKey: `signup-${mail('evelyn')}`, source: 'shop', identifiers: [{ kind: 'EMAIL', value: mail('evelyn') }],
        profile: { firstName: `Evelyn${t}`, phone: pii[8], traits: { note: `E2-trait-${t}` } } }] },
    ));
    const e2 = ingested.ingestEvents.results[0].customerId;
    expect(ingested.ingestEvents.results[0].status).toBe('ACCEPTED');
    await ok(app.gql(`mutation($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id } }`, { input: { customerId: e2, kind: 'COMPLAINT', text: `E2-said-${t}` } }));
    const e3 = await upsert({ email: mail('evie'), firstName: `Evie${t}`, traits: { note: `E3-trait-${t}` } });
    const merge = (survivorId: string, loserId: string, reason: string) =>
      ok(app.gql(`mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { merge { id } } }`, { input: { survivorId, loserId, reason } }));
    // E3 into E2, then E2 into E: E3 is erased with E through E2.
    await merge(e2, e3, `${mail('evie')} is ${mail('evelyn')}'s old address`);
    await merge(e, e2, `caller confirmed ${mail('evelyn')} and ${mail('eve')}`);
    // The customer reads their profile with a token whose subject is their e-mail: audited by actor.
    const token = await signToken(TEST_JWT_SECRET, { sub: mail('eve'), role: Role.CUSTOMER, customerId: e });
    expect((await app.gql(`{ me { email } }`, {}, { token })).errors).toBeUndefined();

    // E2 is in an audience (EMAIL_MARKETING consent), before and after the merge: its segment history is profiling too.
    const segment = (await ok<{ createSegment: { id: string } }>(app.gql(`mutation($n: String!) { createSegment(input: { name: $n, rule: { consent: { purpose: EMAIL_MARKETING } } }) { id } }`, { n: `erase-probe-${t}` }))).createSegment.id;
    const uuidOf = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1];
    const stays = async () => (await app.sql<{ n: number }>(`select count(*)::int n from segment_memberships where segment_id = ? and customer_id::text = any(string_to_array(?, ','))`, [uuidOf(segment), [e, e2, e3].map(uuidOf).join(',')]))[0].n;
    expect(await stays()).toBe(0);
    await ok(app.gql(`mutation($i: SetConsentInput!) { setConsent(input: $i) { id } }`, { i: { customerId: e, purpose: 'EMAIL_MARKETING', status: 'GRANTED', source: 'test', policyVersion: 'v1' } }));
    expect(await stays()).toBe(1);

    const res = await app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { mergedProfilesErased identifiersSuppressed customer { status } } }`, { c: e });
    expect(res.errors).toBeUndefined();
    expect(res.data.eraseCustomer).toEqual({ mergedProfilesErased: 2, identifiersSuppressed: 4, customer: { status: 'ERASED' } });
    // Not closed and kept: gone (before, the row stayed, closed, naming the segment and the dates).
    expect(await stays()).toBe(0);

    for (const id of [e, e2, e3]) {
      const read = await app.gql(`query($id: ID!) { customer(id: $id) { status firstName lastName email phone traits identities { value } } }`, { id });
      expect(leaks(read, pii)).toEqual([]);
      const exported = await app.gql(`query($c: ID!) { exportCustomerData(customerId: $c) }`, { c: id });
      expect(exported.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(leaks(exported, pii)).toEqual([]);
    }
    const dump = await app.sql<{ dump: string }>(
      `select concat_ws('|', (select string_agg(c::text, '|') from customers c), (select string_agg(i::text, '|') from identities i),
        (select string_agg(n::text, '|') from interactions n), (select string_agg(fb::text, '|') from feedback fb),
        (select string_agg(a::text, '|') from audit_log a), (select string_agg(r::text, '|') from consent_records r),
        (select string_agg(p::text, '|') from customer_preferences p), (select string_agg(m::text, '|') from customer_merges m),
        (select string_agg(x::text, '|') from ingest_events x), (select string_agg(s::text, '|') from suppressed_identifiers s)) dump`,
    );
    expect(leaks(dump[0].dump, pii)).toEqual([]);
    // Every identifier of the three is blocked from re-creating them.
    for (const who of ['eve', 'evelyn', 'evie']) {
      const again = await app.gql(`mutation { upsertCustomer(input: { email: "${mail(who)}" }) { created } }`);
      expect(again.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUPPRESSED' });
    }
  });
});

describe('suppression digests', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (key: string, s: string) => createHmac('sha256', key).update(s).digest('hex');
  const NEW_KEY = 'rotated-pseudonym-key-0123456789abcdef';

  /** Another server on the same database, with its own PSEUDONYM_KEYS. */
  async function serverWithKeys(keys: string) {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: app.config.databaseUrl!, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', PSEUDONYM_KEYS: keys });
    const server = await createServer({ orm: app.orm, config, logger: createLogger(config) });
    const url = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql`;
    const token = await app.tokenFor(Role.ADMIN);
    const gql = async (query: string, variables: Record<string, unknown> = {}) =>
      (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) })).json()) as {
        data?: any; errors?: Array<{ extensions?: Record<string, unknown> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
      };
    return { config, gql, close: () => server.close() };
  }
  const create = async (gql: (q: string, v?: Record<string, unknown>) => Promise<{ data?: any }>, email: string) => // eslint-disable-line @typescript-eslint/no-explicit-any
    (await gql(`mutation($e: String!) { upsertCustomer(input: { email: $e }) { customer { id } } }`, { e: email })).data.upsertCustomer.customer.id as string;
  const recreate = (gql: (q: string, v?: Record<string, unknown>) => Promise<{ errors?: Array<{ extensions?: Record<string, unknown> }> }>, email: string) =>
    gql(`mutation($e: String!) { upsertCustomer(input: { email: $e }) { created } }`, { e: email });

  it('are keyed (HMAC with PSEUDONYM_KEYS), keep matching across a key rotation, and legacy SHA-256 digests are converted at start', async () => {
    const t = Date.now().toString(36);
    const first = `first.${t}@digest.example.com`;
    const legacy = `legacy.${t}@digest.example.com`;
    const later = `later.${t}@digest.example.com`;
    // Under the (development) key of this server: no unkeyed SHA-256 of the identifier is stored.
    const id = await create((q, v) => app.gql(q, v), first);
    await ok(app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: id }));
    const stored = await app.sql<{ digest: string; key_id: string }>(`select digest, key_id from suppressed_identifiers order by suppressed_at desc limit 1`);
    expect(stored[0].digest).not.toBe(sha(`email::${first}`));
    expect(stored[0].digest).toBe(hmac(DEV_PSEUDONYM_KEY, sha(`email::${first}`)));
    expect(stored[0].key_id).toBe(app.config.pseudonymKeys.newest.id);
    // A digest written before keys existed: plain SHA-256, no key.
    await app.sql(`insert into suppressed_identifiers (digest) values (?)`, [sha(`email::${legacy}`)]);

    // Rotation: a new key first, the old one still listed.
    const rotated = await serverWithKeys(`${NEW_KEY},${DEV_PSEUDONYM_KEY}`);
    try {
      const converted = await app.sql<{ digest: string; key_id: string }>(`select digest, key_id from suppressed_identifiers where digest = ?`, [hmac(NEW_KEY, sha(`email::${legacy}`))]);
      expect(converted).toEqual([{ digest: hmac(NEW_KEY, sha(`email::${legacy}`)), key_id: rotated.config.pseudonymKeys.newest.id }]);
      expect(await app.sql(`select 1 from suppressed_identifiers where key_id is null or digest = ?`, [sha(`email::${legacy}`)])).toEqual([]);
      for (const email of [first, legacy]) expect((await recreate(rotated.gql, email)).errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUPPRESSED' });
      // New erasures are written with the newest key.
      const c = await create(rotated.gql, later);
      expect((await rotated.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c })).errors).toBeUndefined();
      expect(await app.sql(`select key_id from suppressed_identifiers where digest = ?`, [hmac(NEW_KEY, sha(`email::${later}`))])).toEqual([{ key_id: rotated.config.pseudonymKeys.newest.id }]);
    } finally {
      await rotated.close();
    }
    // Once the old key is dropped from the list, what only it suppressed no longer matches (README "Configuration").
    const dropped = await serverWithKeys(NEW_KEY);
    try {
      for (const email of [legacy, later]) expect((await recreate(dropped.gql, email)).errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUPPRESSED' });
      expect((await recreate(dropped.gql, first)).errors).toBeUndefined();
    } finally {
      await dropped.close();
    }
  });
});
