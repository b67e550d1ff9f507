import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeProduct } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import { upsertCustomer } from '../../src/ingestion/identify';
import { parseMergePolicy } from '../../src/services/merge-policy';
import { checkIdentityLimits, mergeCustomers, previewMerge } from '../../src/services/merge.service';
import { loadConfig } from '../../src/config';
import { IdentityKind } from '../../src/entities/enums';
import { rightsOf } from '../../src/ingestion/rules';
import { Scope } from '../../src/auth/policy';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Identity resolution and reversible merges (README "Identity resolution and merges"), through the
 * real HTTP server on a real database.
 */

let app: TestApp;
let product: { id: string; sku: string };
let n = 0;
const uniq = () => `${Date.now().toString(36)}${(++n).toString(36)}`;
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
/** A valid, distinct UK mobile number per call (this file has a database of its own). */
const phone = () => `+447911${String(++n).padStart(6, '0')}`;

const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) {
  created mergedCustomerIds ignoredIdentifiers { kind namespace reason }
  customer { id status firstName lastName email phone identities { kind namespace value } provenance { field source at } } } }`;
const MERGE = `mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) {
  merge { id reason actor automatic moves { table rows } survivor { id } loser { id status } } survivor { id firstName lastName email phone traits } } }`;
const UNMERGE = `mutation($id: ID!) { unmergeCustomers(mergeId: $id) { merge { id undoneAt undoneBy } survivor { id status } loser { id status } } }`;
const PREVIEW = `query($s: ID!, $l: ID!) { previewMerge(survivorId: $s, loserId: $l) {
  survivor { id } loser { id } result { firstName lastName email phone traits } moves { table rows } fields { field from source } } }`;

async function upsert(input: Record<string, unknown>, role: Role = Role.ADMIN) {
  const res = await app.gql(UPSERT, { input }, { role });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.upsertCustomer;
}

async function order(customerId: string, source = 'shop') {
  const res = await app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`, {
    input: { customerId, externalId: `O-${uniq()}`, source, placedAt: '2026-05-01T10:00:00.000Z', channel: 'WEB', currency: 'EUR', lines: [{ productId: product.id, quantity: 2 }] },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}
async function interaction(customerId: string) {
  const res = await app.gql(`mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate } }`, {
    input: { customerId, occurredAt: '2026-05-02T10:00:00.000Z', channel: 'WEB', type: 'PRODUCT_VIEW', productId: product.id, sourceEventId: `e-${uniq()}` },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}
async function feedback(customerId: string) {
  const res = await app.gql(`mutation($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id } }`, { input: { customerId, kind: 'NPS', score: 9 } });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}
async function consent(customerId: string, status = 'GRANTED') {
  const res = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`, {
    input: { customerId, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status, source: 'preference_centre', policyVersion: 'v3' },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

/**
 * Every row of every table carrying customer_id (found in the catalogue, so tables other features
 * add are covered), the customers themselves and the ledger. Nothing is excluded: not even updated_at.
 * audit_log is left out: every privileged write adds to it by design.
 */
async function digest(): Promise<string> {
  const tables = await app.sql<{ t: string }>(
    `select distinct table_name t from information_schema.columns where table_schema = 'public' and column_name = 'customer_id' and table_name not in ('audit_log', 'outbox_events') order by 1`, // logs: they record the merge and the unmerge
  );
  const parts = ['customers', 'customer_merges', ...tables.map((r) => r.t)]
    .map((t) => `select '${t}:' || x::text r from "${t}" x`).join(' union all ');
  const [row] = await app.sql<{ d: string }>(`select md5(string_agg(r, '|' order by r)) d from (${parts}) s`);
  return row.d ?? 'empty';
}

async function ownerCounts(customerId: string) {
  const [row] = await app.sql<Record<string, string>>(
    `select (select count(*) from identities where customer_id = $1) identities, (select count(*) from orders where customer_id = $1) orders,
            (select count(*) from order_lines where customer_id = $1) lines, (select count(*) from interactions where customer_id = $1) interactions,
            (select count(*) from feedback where customer_id = $1) feedback, (select count(*) from consent_records where customer_id = $1) consents,
            (select count(*) from segment_memberships where customer_id = $1) memberships`.replace(/\$1/g, '?'),
    Array(7).fill(uuidOf(customerId)),
  );
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

function expectError(res: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }, code: string, message?: RegExp) {
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0].extensions?.code).toBe(code);
  if (message) expect(res.errors![0].message).toMatch(message);
}

/** A customer with some of everything: identities, an order with lines, interactions, feedback, consents. */
async function richCustomer(source: string, extra: Record<string, unknown> = {}) {
  const c = (await upsert({ email: `${source}.${uniq()}@example.com`, phone: phone(), firstName: `F-${source}`, source, ...extra })).customer;
  await order(c.id);
  await interaction(c.id);
  await feedback(c.id);
  await consent(c.id);
  return c;
}

beforeAll(async () => {
  app = await startTestApp();
  product = await makeProduct(app);
});

afterAll(async () => {
  await app?.close();
});

describe('matching on write', () => {
  it('the same person from three sources becomes one customer with all their orders, interactions, feedback and consents', async () => {
    const email = `ann.${uniq()}@example.com`;
    const mobile = phone();
    const card = `LC-${uniq()}`;
    const crm = `Z-${uniq()}`;

    const web = (await upsert({ email, firstName: 'Ann', source: 'web' })).customer;
    await order(web.id);
    await interaction(web.id);
    const store = (await upsert({ phone: mobile, identities: [{ kind: 'LOYALTY_CARD', value: card }], lastName: 'Lee', source: 'store' })).customer;
    await order(store.id);
    await consent(store.id);
    const desk = (await upsert({ identities: [{ kind: 'CRM_ID', namespace: 'zendesk', value: crm }], source: 'support', traits: { tier: 'gold' } })).customer;
    await feedback(desk.id);
    expect(new Set([web.id, store.id, desk.id]).size).toBe(3);

    // Later, the support desk learns the customer's email and phone: one write links all three.
    const linked = await upsert({ identities: [{ kind: 'CRM_ID', namespace: 'zendesk', value: crm }], email, phone: mobile, source: 'support' });
    expect(linked.customer.id).toBe(web.id); // the oldest profile survives
    expect(linked.created).toBe(false);
    expect([...linked.mergedCustomerIds].sort()).toEqual([store.id, desk.id].sort());
    expect(linked.customer).toMatchObject({ firstName: 'Ann', lastName: 'Lee', email, phone: mobile, status: 'ACTIVE' });
    expect(linked.customer.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['CRM_ID', 'EMAIL', 'LOYALTY_CARD', 'PHONE']);
    expect(linked.customer.provenance.find((p: { field: string }) => p.field === 'lastName')).toMatchObject({ source: 'store' });

    const view = await app.gql(`query($id: ID!) { customer(id: $id) { traits orders { totalCount } interactions { totalCount } feedback { totalCount } consents { history { totalCount } }
      merges { automatic actor survivor { id } loser { id status } moves { table rows } } } }`, { id: web.id }, { role: Role.SUPPORT });
    expect(view.errors).toBeUndefined();
    expect(view.data.customer).toMatchObject({ traits: { tier: 'gold' }, orders: { totalCount: 2 }, interactions: { totalCount: 1 }, feedback: { totalCount: 1 }, consents: { history: { totalCount: 1 } } });
    expect(view.data.customer.merges).toHaveLength(2);
    for (const m of view.data.customer.merges) expect(m).toMatchObject({ automatic: true, actor: 'auto:support', survivor: { id: web.id }, loser: { status: 'MERGED' } });
    for (const loser of [store, desk]) expect(await ownerCounts(loser.id)).toEqual({ identities: 0, orders: 0, lines: 0, interactions: 0, feedback: 0, consents: 0, memberships: 0 });
    const merged = await app.sql<{ status: string; merged_into_id: string }>('select status, merged_into_id from customers where id = any(?::uuid[])', [`{${uuidOf(store.id)},${uuidOf(desk.id)}}`]);
    expect(merged).toEqual([{ status: 'merged', merged_into_id: uuidOf(web.id) }, { status: 'merged', merged_into_id: uuidOf(web.id) }]);
  });

  it('an automatic merge the policy refuses (DEVICE is not an auto-merge kind) is a CONFLICT and changes nothing', async () => {
    const a = (await upsert({ identities: [{ kind: 'DEVICE', value: `dev-${uniq()}` }], email: `dev.a.${uniq()}@example.com` })).customer;
    const b = (await upsert({ email: `dev.b.${uniq()}@example.com` })).customer;
    const before = await digest();
    const res = await app.gql(UPSERT, { input: { email: b.email, identities: [{ kind: 'DEVICE', value: a.identities.find((i: { kind: string }) => i.kind === 'DEVICE').value }] } });
    expectError(res, 'CONFLICT', /linked only by device, which may not merge automatically/);
    expect(res.errors![0].extensions).toMatchObject({ reason: 'MERGE_POLICY', customerIds: expect.arrayContaining([a.id, b.id]) });
    expect(await digest()).toBe(before);
  });

  it('a merge that would give one customer two CRM ids of the same CRM is refused (MERGE_POLICY.limits)', async () => {
    const a = (await upsert({ identities: [{ kind: 'CRM_ID', namespace: 'salesforce', value: `A-${uniq()}` }] })).customer;
    const b = (await upsert({ identities: [{ kind: 'CRM_ID', namespace: 'salesforce', value: `B-${uniq()}` }], email: `crm.b.${uniq()}@example.com` })).customer;
    const before = await digest();
    const res = await app.gql(UPSERT, { input: { email: b.email, identities: [{ kind: 'CRM_ID', namespace: 'salesforce', value: a.identities[0].value }] } });
    expectError(res, 'CONFLICT', /at most 1 crm_id identifier in namespace "salesforce"/);
    expect(res.errors![0].extensions).toMatchObject({ reason: 'IDENTITY_LIMIT' });
    // Nor may one profile collect a second one on a plain write.
    const second = await app.gql(UPSERT, { input: { email: b.email, identities: [{ kind: 'CRM_ID', namespace: 'salesforce', value: `C-${uniq()}` }] } });
    expectError(second, 'CONFLICT', /at most 1 crm_id/);
    const manual = await app.gql(MERGE, { input: { survivorId: a.id, loserId: b.id, reason: 'same person' } });
    expectError(manual, 'CONFLICT', /at most 1 crm_id/);
    expect(await digest()).toBe(before);
  });

  it('the identity limit says the kind, the namespace only if there is one, and the limit with its plural', async () => {
    const ns = `ns${uniq()}`;
    const a = (await upsert({ identities: [{ kind: 'CRM_ID', namespace: ns, value: `NA-${uniq()}` }] })).customer;
    const b = (await upsert({ identities: [{ kind: 'CRM_ID', namespace: ns, value: `NB-${uniq()}` }] })).customer;
    const before = await digest();
    const res = await app.gql(MERGE, { input: { survivorId: a.id, loserId: b.id, reason: 'same person' } });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].message).toBe(`one customer may hold at most 1 crm_id identifier in namespace "${ns}" (MERGE_POLICY.limits); this would give 2`);
    expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'identities', reason: 'IDENTITY_LIMIT', kind: 'crm_id', namespace: ns });
    expect(await digest()).toBe(before);
    // Limits from MERGE_POLICY: loyalty cards (no namespace) limited to 1, CRM ids to 2.
    const policy = parseMergePolicy('{"limits":{"loyalty_card":1,"crm_id":2}}');
    const em = app.orm.em.fork() as EntityManager;
    const c = (await upsert({ identities: [{ kind: 'LOYALTY_CARD', value: `LC-${uniq()}` }, { kind: 'CRM_ID', namespace: ns, value: `NC-${uniq()}` }] })).customer;
    const d = (await upsert({ identities: [{ kind: 'LOYALTY_CARD', value: `LD-${uniq()}` }] })).customer;
    await expect(checkIdentityLimits(em, policy, [uuidOf(c.id), uuidOf(d.id)], [])).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'one customer may hold at most 1 loyalty_card identifier (MERGE_POLICY.limits); this would give 2',
      details: { field: 'identities', reason: 'IDENTITY_LIMIT', kind: 'loyalty_card', namespace: '' },
    });
    const crm = [{ kind: IdentityKind.CRM_ID, namespace: ns }];
    await expect(checkIdentityLimits(em, policy, [uuidOf(c.id)], crm)).resolves.toBeUndefined();
    await expect(checkIdentityLimits(em, policy, [uuidOf(c.id)], [...crm, ...crm])).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `one customer may hold at most 2 crm_id identifiers in namespace "${ns}" (MERGE_POLICY.limits); this would give 3`,
    });
  });

  it('a policy from MERGE_POLICY that allows only CRM ids refuses an email link; the service honours the policy it is given', async () => {
    const policy = parseMergePolicy('{"autoMergeKinds":["crm_id"]}');
    const em = app.orm.em.fork() as EntityManager;
    const a = (await upsert({ email: `pol.a.${uniq()}@example.com` })).customer;
    const b = (await upsert({ phone: phone() })).customer;
    const before = await digest();
    await expect(upsertCustomer(em, { email: a.email, phone: b.phone }, undefined, { policy })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'MERGE_POLICY' } });
    expect(await digest()).toBe(before);
    expect(loadConfig({ NODE_ENV: 'test', MERGE_POLICY: '{"autoMergeKinds":["email"],"limits":{"crm_id":1}}' }).mergePolicy.autoMergeKinds).toEqual(['email']);
    expect(() => loadConfig({ NODE_ENV: 'test', MERGE_POLICY: '{"autoMergeKinds":["fax"]}' })).toThrow(/MERGE_POLICY.autoMergeKinds: "fax" is not an identifier kind/);
    expect(() => loadConfig({ NODE_ENV: 'test', MERGE_POLICY: '{"limit":{}}' })).toThrow(/unknown key "limit"/);
    expect(() => loadConfig({ NODE_ENV: 'test', MERGE_POLICY: '{"limits":{"crm_id":0}}' })).toThrow(/limits.crm_id must be an integer/);
    expect(() => loadConfig({ NODE_ENV: 'test', MERGE_POLICY: 'yes' })).toThrow(/must be a JSON object/);
  });

  it('self-service writes may not merge another profile into the customer', async () => {
    const me = (await upsert({ email: `self.${uniq()}@example.com` })).customer;
    const other = (await upsert({ email: `other.${uniq()}@example.com` })).customer;
    const mergeCount = async () => Number((await app.sql<{ n: string }>(`select count(*) n from customer_merges`))[0].n);
    const mergesBefore = await mergeCount();
    const res = await app.gql(UPSERT, { input: { id: me.id, identities: [{ kind: 'EMAIL', value: other.email }] } }, { role: Role.CUSTOMER, customerId: me.id });
    // Nor may it learn that the address is someone else's (README "Access and privacy"): the answer is
    // the one for an unused address, and nothing of the other profile moves or merges.
    expect(res.errors).toBeUndefined();
    expect(res.data.upsertCustomer.mergedCustomerIds).toEqual([]);
    const owners = await app.sql<{ customer_id: string }>(`select customer_id from identities where kind = 'email' and value = ?`, [other.email]);
    expect(owners.map((o) => toGlobalId('Customer', o.customer_id))).toEqual([other.id]);
    expect(await mergeCount()).toBe(mergesBefore);
  });

  it('a write by a caller who may not merge, linking two profiles, is CONFLICT MERGE_NOT_ALLOWED and changes nothing', async () => {
    // A first-party source's key that may also look customers up (profiles:write + customers:contact):
    // it may identify and know whose an identifier is, but not merge (README "Who may do what"). A caller
    // that may not know whose (a customer, a key without customers:contact) is never told: its write
    // names the profile of its first held identifier instead (ingest.test.ts). Tested on the core with
    // those rights from the rights table; over GraphQL the same key gets it through ingestEvents.
    const rights = rightsOf({ role: Role.PARTNER, scopes: [Scope.EVENTS_WRITE, Scope.PROFILES_WRITE, Scope.CUSTOMERS_CONTACT] });
    expect(rights).toMatchObject({ mayIdentify: true, mayLink: true, revealOwners: true, mayMerge: false });
    const a = (await upsert({ email: `nm.a.${uniq()}@example.com`, firstName: 'Nora' })).customer;
    const b = (await upsert({ phone: phone(), lastName: 'Moss' })).customer;
    const before = await digest();
    const em = app.orm.em.fork() as EntityManager;
    const err = await upsertCustomer(em, { email: a.email, phone: b.phone, firstName: 'Changed', source: 'self' }, undefined, {
      policy: loadConfig({ NODE_ENV: 'test' }).mergePolicy, allowMerge: rights.mayMerge, revealOwners: rights.revealOwners,
    }).then(() => null, (e: unknown) => e as { code: string; message: string; details: { customerIds: string[] } });
    expect(err).toMatchObject({
      code: 'CONFLICT',
      message: 'these identifiers belong to different customers, and this write may not merge profiles; ask support to merge them',
      details: { field: 'identities', reason: 'MERGE_NOT_ALLOWED' },
    });
    expect([...err!.details.customerIds].sort()).toEqual([a.id, b.id].sort());
    expect(await digest()).toBe(before);
    // The same write by support (which may merge) merges them: the refusal is the rights', not the data's.
    const merged = await upsert({ email: a.email, phone: b.phone, source: 'desk' }, Role.SUPPORT);
    expect(merged.mergedCustomerIds).toEqual([b.id]);
  });

  it('blocklisted junk values are never stored nor matched, and the response says which were ignored', async () => {
    const p1 = phone();
    const p2 = phone();
    const one = await upsert({ email: 'Test@Test.com', phone: p1, identities: [{ kind: 'PHONE', value: '+1 000 000 0000' }] });
    const two = await upsert({ email: 'test@test.com', phone: p2 });
    expect(one.customer.id).not.toBe(two.customer.id); // the shared junk email did not match them
    expect(one.created && two.created).toBe(true);
    expect(one.ignoredIdentifiers).toEqual([{ kind: 'EMAIL', namespace: '', reason: 'BLOCKLISTED' }, { kind: 'PHONE', namespace: '', reason: 'BLOCKLISTED' }]);
    expect(one.customer.email).toBeNull();
    expect(one.customer.identities).toEqual([{ kind: 'PHONE', namespace: '', value: p1 }]);
    const stored = await app.sql<{ n: string }>(`select count(*) n from identities where value in ('test@test.com', '+10000000000')`);
    expect(Number(stored[0].n)).toBe(0);
    // Wildcards: noreply@ at any domain.
    const three = await upsert({ email: 'noreply@shop.example', phone: phone() });
    expect(three.ignoredIdentifiers).toEqual([{ kind: 'EMAIL', namespace: '', reason: 'BLOCKLISTED' }]);

    const before = await digest();
    const onlyJunk = await app.gql(UPSERT, { input: { email: 'test@test.com', firstName: 'Junk' } });
    expectError(onlyJunk, 'BAD_USER_INPUT', /junk value on the merge policy's blocklist/);
    expect(onlyJunk.errors![0].extensions).toMatchObject({ field: 'identities', reason: 'BLOCKLISTED' });
    expect(await digest()).toBe(before);
  });

  it('concurrent writes linking the same two customers produce exactly one merge', async () => {
    const a = (await upsert({ email: `race.a.${uniq()}@example.com` })).customer;
    const b = (await upsert({ phone: phone() })).customer;
    const results = await Promise.all(Array.from({ length: 8 }, () => app.gql(UPSERT, { input: { email: a.email, phone: b.phone, source: 'race' } })));
    for (const r of results) expect(r.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data.upsertCustomer.customer.id))).toEqual(new Set([a.id]));
    expect(results.filter((r) => r.data.upsertCustomer.mergedCustomerIds.length === 1)).toHaveLength(1);
    const merges = await app.sql<{ n: string }>('select count(*) n from customer_merges where survivor_id = ? and loser_id = ?', [uuidOf(a.id), uuidOf(b.id)]);
    expect(Number(merges[0].n)).toBe(1);
  });
});

describe('manual merge and unmerge', () => {
  it('merge then unmerge restores every row of both customers exactly', async () => {
    const survivor = await richCustomer('crm', { traits: { plan: 'pro', shared: 's' } });
    const loser = await richCustomer('web', { traits: { pet: 'cat', shared: 'l' }, lastName: 'Loser' });
    await consent(loser.id, 'WITHDRAWN');
    // Segment memberships: one segment both are open members of (must not collide), one only the loser is in.
    const [seg1] = await app.sql<{ id: string }>(`insert into segments (name, rule, created_by) values (?, '{}', 'test') returning id`, [`both-${uniq()}`]);
    const [seg2] = await app.sql<{ id: string }>(`insert into segments (name, rule, created_by) values (?, '{}', 'test') returning id`, [`loser-${uniq()}`]);
    await app.sql(`insert into segment_memberships (segment_id, customer_id) values (?, ?), (?, ?), (?, ?)`, [
      seg1.id, uuidOf(survivor.id), seg1.id, uuidOf(loser.id), seg2.id, uuidOf(loser.id),
    ]);
    const loserCounts = await ownerCounts(loser.id);
    const survivorCounts = await ownerCounts(survivor.id);
    const before = await digest();

    const res = await app.gql(MERGE, { input: { survivorId: survivor.id, loserId: loser.id, reason: 'same person, confirmed on the phone' } }, { role: Role.SUPPORT });
    expect(res.errors).toBeUndefined();
    const merge = res.data.mergeCustomers.merge;
    expect(merge).toMatchObject({ automatic: false, actor: `support:${app.config.pseudonymKeys.actor('test-support')}`, loser: { status: 'MERGED' } });
    // Exactly the tables that held rows of the loser: none listed with 0 rows.
    expect(merge.moves).toEqual([
      { table: 'consent_records', rows: 2 }, { table: 'feedback', rows: 1 }, { table: 'identities', rows: 2 }, { table: 'interactions', rows: 1 },
      { table: 'order_lines', rows: 1 }, { table: 'orders', rows: 1 }, { table: 'segment_memberships', rows: 2 },
    ]);
    expect(res.data.mergeCustomers.survivor.traits).toEqual({ plan: 'pro', pet: 'cat', shared: 'l' });
    expect(await ownerCounts(loser.id)).toEqual({ identities: 0, orders: 0, lines: 0, interactions: 0, feedback: 0, consents: 0, memberships: 0 });
    const sum = Object.fromEntries(Object.keys(loserCounts).map((k) => [k, loserCounts[k] + survivorCounts[k]]));
    expect(await ownerCounts(survivor.id)).toEqual(sum);
    const open = await app.sql<{ n: string }>('select count(*) n from segment_memberships where segment_id = ? and customer_id = ? and left_at is null', [seg1.id, uuidOf(survivor.id)]);
    expect(Number(open[0].n)).toBe(1);
    // The loser's current consent (withdrawn) is now part of the survivor's ledger.
    const audit = await app.sql<{ n: string }>(`select count(*) n from audit_log where operation = 'mergeCustomers' and action = 'WRITE' and customer_id = any(?::uuid[])`, [
      `{${uuidOf(survivor.id)},${uuidOf(loser.id)}}`,
    ]);
    expect(Number(audit[0].n)).toBe(2);

    const undo = await app.gql(UNMERGE, { id: merge.id }, { role: Role.SUPPORT });
    expect(undo.errors).toBeUndefined();
    expect(undo.data.unmergeCustomers).toMatchObject({ survivor: { status: 'ACTIVE' }, loser: { id: loser.id, status: 'ACTIVE' }, merge: { undoneBy: `support:${app.config.pseudonymKeys.actor('test-support')}` } });
    // Every row of every customer-owned table and both customer rows, exactly (updated_at included);
    // the ledger row differs only by undone_at / undone_by, so it is compared apart.
    await app.sql('delete from customer_merges where id = ?', [uuidOf(merge.id)]);
    expect(await digest()).toBe(before);
  });

  it('rows added to the survivor after the merge stay with it; later profile writes survive the unmerge', async () => {
    const survivor = await richCustomer('a');
    const loser = await richCustomer('b');
    const merge = (await app.gql(MERGE, { input: { survivorId: survivor.id, loserId: loser.id, reason: 'dup' } })).data.mergeCustomers.merge;
    await interaction(survivor.id);
    await upsert({ id: survivor.id, lastName: 'Later' });
    const undo = await app.gql(UNMERGE, { id: merge.id });
    expect(undo.errors).toBeUndefined();
    expect(await ownerCounts(survivor.id)).toMatchObject({ interactions: 2, orders: 1, identities: 2 });
    expect(await ownerCounts(loser.id)).toMatchObject({ interactions: 1, orders: 1, identities: 2 });
    const [row] = await app.sql<{ last_name: string; first_name: string }>('select first_name, last_name from customers where id = ?', [uuidOf(survivor.id)]);
    expect(row).toEqual({ first_name: 'F-a', last_name: 'Later' });
  });

  it('the unmerge gives the survivor its own traits back key by key, except a key written since the merge', async () => {
    const survivor = (await upsert({ email: `tr.s.${uniq()}@example.com`, traits: { plan: 'pro', shared: 's', kept: 1 }, source: 'crm' })).customer;
    const loser = (await upsert({ email: `tr.l.${uniq()}@example.com`, traits: { pet: 'cat', shared: 'l' }, source: 'web' })).customer;
    const row = async () => (await app.sql<{ traits: Record<string, unknown>; field_provenance: Record<string, { source: string }> }>(
      'select traits, field_provenance from customers where id = ?', [uuidOf(survivor.id)]))[0];
    const sources = (p: Record<string, { source: string }>) => Object.fromEntries(Object.entries(p).filter(([k]) => k.startsWith('traits')).map(([k, v]) => [k, v.source]));
    const before = await row();
    const merge = (await app.gql(MERGE, { input: { survivorId: survivor.id, loserId: loser.id, reason: 'dup' } })).data.mergeCustomers.merge;
    expect((await row()).traits).toEqual({ plan: 'pro', shared: 'l', kept: 1, pet: 'cat' });
    // Written after the merge: plan (changed) and pet (the loser's key, now rewritten by the survivor's own source).
    await upsert({ id: survivor.id, traits: { plan: 'max', pet: 'dog' }, source: 'app' });
    expect((await app.gql(UNMERGE, { id: merge.id })).errors).toBeUndefined();
    const after = await row();
    // shared: back to the survivor's own value; kept: untouched; plan and pet: the later writes stay.
    expect(after.traits).toEqual({ plan: 'max', shared: 's', kept: 1, pet: 'dog' });
    expect(sources(after.field_provenance)).toEqual({ ...sources(before.field_provenance), 'traits.plan': 'app', 'traits.pet': 'app' });
    // Without a later write, the loser's key leaves with the loser.
    const s2 = (await upsert({ email: `tr.s2.${uniq()}@example.com`, traits: { plan: 'pro' }, source: 'crm' })).customer;
    const l2 = (await upsert({ email: `tr.l2.${uniq()}@example.com`, traits: { pet: 'cat' }, source: 'web' })).customer;
    const m2 = (await app.gql(MERGE, { input: { survivorId: s2.id, loserId: l2.id, reason: 'dup' } })).data.mergeCustomers.merge;
    expect((await app.gql(UNMERGE, { id: m2.id })).errors).toBeUndefined();
    const [r2] = await app.sql<{ traits: Record<string, unknown>; field_provenance: Record<string, unknown> }>('select traits, field_provenance from customers where id = ?', [uuidOf(s2.id)]);
    expect(r2.traits).toEqual({ plan: 'pro' });
    expect(Object.keys(r2.field_provenance).filter((k) => k.startsWith('traits'))).toEqual(['traits.plan']);
  });

  it('survivorship: non-empty beats empty, a more trusted source wins, then the more recent value', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const policy = parseMergePolicy('{"sourcePriority":["crm","store"]}');
    const s = (await upsertCustomer(em.fork(), { email: `sv.${uniq()}@example.com`, firstName: 'Crm', lastName: null, locale: 'en-GB', source: 'crm' }, undefined, { policy })).customer;
    const l = (await upsertCustomer(em.fork(), { email: `sv.${uniq()}@example.com`, firstName: 'Web', lastName: 'Webb', locale: 'fr-FR', source: 'web' }, undefined, { policy })).customer;
    // The loser's values are newer, but "crm" outranks "web" (an unlisted source) under this policy.
    const outcome = await previewMerge(em.fork(), s.id, l.id, policy);
    expect(outcome.survivorAfter).toMatchObject({ first_name: 'Crm', last_name: 'Webb', email: s.email, locale: 'en-GB' });
    const from = Object.fromEntries(outcome.fields.map((f) => [f.field, f.from]));
    expect(from).toMatchObject({ firstName: 'survivor', lastName: 'loser', email: 'survivor', locale: 'survivor' });
    // Under the server's default policy (no source priority) the more recent write wins.
    const plain = (await upsertCustomer(em.fork(), { email: `sv.${uniq()}@example.com`, firstName: 'Newer', source: 'web' }, undefined, {})).customer;
    const res2 = await app.gql(PREVIEW, { s: toGlobalId('Customer', s.id), l: toGlobalId('Customer', plain.id) });
    expect(res2.data.previewMerge.result.firstName).toBe('Newer');
  });

  it('survivorship chooses the phone and the birth date like every other profile column, and records where each came from', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const policy = parseMergePolicy('{"sourcePriority":["crm","store"]}');
    const loserPhone = phone();
    // The survivor has neither: the loser's values fill them (non-empty beats empty).
    const s = (await upsertCustomer(em.fork(), { email: `pb.${uniq()}@example.com`, source: 'web' }, undefined, { policy })).customer;
    const l = (await upsertCustomer(em.fork(), { email: `pb.${uniq()}@example.com`, phone: loserPhone, birthDate: '1980-02-03', source: 'store' }, undefined, { policy })).customer;
    const filled = await previewMerge(em.fork(), s.id, l.id, policy);
    expect({ phone: filled.survivorAfter.phone, birthDate: String(filled.survivorAfter.birth_date).slice(0, 10) }).toEqual({ phone: loserPhone, birthDate: '1980-02-03' });
    expect(filled.fields.filter((f) => f.field === 'phone' || f.field === 'birthDate').map((f) => [f.field, f.from, f.source])).toEqual([
      ['phone', 'loser', 'store'], ['birthDate', 'loser', 'store'],
    ]);
    // Both sides have them: the more trusted source's (crm) are kept, though the loser's are newer.
    const crmPhone = phone();
    const t = (await upsertCustomer(em.fork(), { email: `pb.${uniq()}@example.com`, phone: crmPhone, birthDate: '1970-01-02', source: 'crm' }, undefined, { policy })).customer;
    const kept = await previewMerge(em.fork(), t.id, l.id, policy);
    expect({ phone: kept.survivorAfter.phone, birthDate: String(kept.survivorAfter.birth_date).slice(0, 10) }).toEqual({ phone: crmPhone, birthDate: '1970-01-02' });
    expect(kept.fields.filter((f) => f.field === 'phone' || f.field === 'birthDate').map((f) => [f.field, f.from, f.source])).toEqual([
      ['phone', 'survivor', 'crm'], ['birthDate', 'survivor', 'crm'],
    ]);
  });

  it('survivorship: a more trusted loser wins; an empty string or an address of empty fields is empty; no provenance falls back to updated_at', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const policy = parseMergePolicy('{"sourcePriority":["crm","store"]}');
    const web = (await upsertCustomer(em.fork(), { email: `sv.${uniq()}@example.com`, firstName: 'Web', source: 'web' }, undefined, { policy })).customer;
    const crm = (await upsertCustomer(em.fork(), { email: `sv.${uniq()}@example.com`, firstName: 'Crm', source: 'crm' }, undefined, { policy })).customer;
    // The loser's source outranks the survivor's: the loser's value wins.
    const a = await previewMerge(em.fork(), web.id, crm.id, policy);
    expect(a.survivorAfter).toMatchObject({ first_name: 'Crm' });
    expect(a.fields.find((f) => f.field === 'firstName')).toMatchObject({ from: 'loser', source: 'crm' });
    // The more trusted side's '' and its address of empty fields are empty: the other side's values win.
    await app.sql(`update customers set first_name = '', address = '{"line1": null, "city": ""}'::jsonb where id = ?`, [crm.id]);
    await app.sql(`update customers set address = '{"line1": "1 Main St"}'::jsonb where id = ?`, [web.id]);
    const b = await previewMerge(em.fork(), crm.id, web.id, policy);
    expect(b.survivorAfter).toMatchObject({ first_name: 'Web', address: { line1: '1 Main St' } });
    // An address with one field filled is not empty: it competes, and (neither address has a provenance) recency or a tie keeps the survivor's.
    await app.sql(`update customers set address = '{"line1": "", "city": "Leeds"}'::jsonb where id = ?`, [crm.id]);
    const partial = await previewMerge(em.fork(), crm.id, web.id, policy);
    expect(partial.survivorAfter).toMatchObject({ address: { line1: '', city: 'Leeds' } });
    expect(partial.fields.find((f) => f.field === 'address')).toMatchObject({ from: 'survivor' });
    // Without any provenance both sides are 'unknown' as of their updated_at: the more recently updated wins.
    await app.sql(`update customers set field_provenance = '{}'::jsonb, first_name = 'Old', updated_at = now() - interval '2 days' where id = ?`, [crm.id]);
    await app.sql(`update customers set field_provenance = '{}'::jsonb, first_name = 'New', updated_at = now() - interval '1 day' where id = ?`, [web.id]);
    const c = await previewMerge(em.fork(), crm.id, web.id, policy);
    expect(c.survivorAfter).toMatchObject({ first_name: 'New' });
    expect(c.fields.find((f) => f.field === 'firstName')).toMatchObject({ from: 'loser', source: 'unknown' });
    // The other way round the survivor is the more recent: it keeps its value; a full tie keeps it too.
    const d = await previewMerge(em.fork(), web.id, crm.id, policy);
    expect(d.survivorAfter).toMatchObject({ first_name: 'New' });
    expect(d.fields.find((f) => f.field === 'firstName')).toMatchObject({ from: 'survivor' });
    await app.sql(`update customers set updated_at = '2026-01-01T00:00:00Z' where id in (?, ?)`, [crm.id, web.id]);
    const e = await previewMerge(em.fork(), crm.id, web.id, policy);
    expect(e.survivorAfter).toMatchObject({ first_name: 'Old' });
    expect(e.fields.find((f) => f.field === 'firstName')).toMatchObject({ from: 'survivor' });
  });

  it('the merged profile was first seen when the earlier of the two was, and last seen when the later was', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const policy = parseMergePolicy(undefined);
    const x = (await upsert({ email: `seen.x.${uniq()}@example.com` })).customer;
    const y = (await upsert({ email: `seen.y.${uniq()}@example.com` })).customer;
    const seen = (id: string, first: string, last: string) =>
      app.sql('update customers set first_seen_at = ?, last_seen_at = ? where id = ?', [first, last, uuidOf(id)]);
    const span = async (s: string, l: string) => {
      const { survivorAfter } = await previewMerge(em.fork(), uuidOf(s), uuidOf(l), policy);
      return [survivorAfter.first_seen_at, survivorAfter.last_seen_at].map((t) => new Date(String(t)).toISOString());
    };
    // x spans Feb–Mar, y Jan–May: y holds both ends, whichever side survives.
    await seen(x.id, '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z');
    await seen(y.id, '2026-01-01T00:00:00Z', '2026-05-01T00:00:00Z');
    expect(await span(x.id, y.id)).toEqual(['2026-01-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z']);
    expect(await span(y.id, x.id)).toEqual(['2026-01-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z']);
    // First seen from one side, last seen from the other.
    await seen(y.id, '2026-01-01T00:00:00Z', '2026-02-15T00:00:00Z');
    expect(await span(x.id, y.id)).toEqual(['2026-01-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
    expect(await span(y.id, x.id)).toEqual(['2026-01-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
  });

  it('first and last seen are compared to the microsecond, not the millisecond', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const policy = parseMergePolicy(undefined);
    const x = (await upsert({ email: `us.x.${uniq()}@example.com` })).customer;
    const y = (await upsert({ email: `us.y.${uniq()}@example.com` })).customer;
    await app.sql('update customers set first_seen_at = ?, last_seen_at = ? where id = ?', ['2026-02-01T00:00:00.000002Z', '2026-03-01T00:00:00.000001Z', uuidOf(x.id)]);
    await app.sql('update customers set first_seen_at = ?, last_seen_at = ? where id = ?', ['2026-02-01T00:00:00.000001Z', '2026-03-01T00:00:00.000002Z', uuidOf(y.id)]);
    // Within one millisecond: y was seen first and last, whichever side survives.
    for (const [s, l] of [[x, y], [y, x]]) {
      const { survivorAfter } = await previewMerge(em.fork(), uuidOf(s.id), uuidOf(l.id), policy);
      const [span] = await app.sql<{ first: string; last: string }>(
        `select to_char(?::timestamptz at time zone 'UTC', 'SS.US') as first, to_char(?::timestamptz at time zone 'UTC', 'SS.US') as last`,
        [survivorAfter.first_seen_at, survivorAfter.last_seen_at]);
      expect(span).toEqual({ first: '00.000001', last: '00.000002' });
    }
    // Equal instants: the survivor's (the same value either way).
    await app.sql('update customers set first_seen_at = ?, last_seen_at = ? where id in (?, ?)', ['2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', uuidOf(x.id), uuidOf(y.id)]);
    const { survivorAfter } = await previewMerge(em.fork(), uuidOf(x.id), uuidOf(y.id), policy);
    expect([survivorAfter.first_seen_at, survivorAfter.last_seen_at].map((t) => new Date(String(t)).toISOString())).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
  });

  it("traits: a key both hold is chosen by survivorship with its side's provenance, keys in order; a provenance of the whole of traits applies to each key", async () => {
    const em = app.orm.em.fork() as EntityManager;
    const policy = parseMergePolicy('{"sourcePriority":["crm","store"]}');
    const s = (await upsertCustomer(em.fork(), { email: `tk.s.${uniq()}@example.com`, traits: { zz: 's', shared: 's' }, source: 'crm' }, undefined, { policy })).customer;
    // The loser's values are newer, but its source ranks below crm.
    const l = (await upsertCustomer(em.fork(), { email: `tk.l.${uniq()}@example.com`, traits: { a: 'l', shared: 'l' }, source: 'web' }, undefined, { policy })).customer;
    const out = await previewMerge(em.fork(), s.id, l.id, policy);
    expect(out.survivorAfter.traits).toEqual({ zz: 's', shared: 's', a: 'l' });
    expect(out.fields.filter((f) => f.field.startsWith('traits.')).map((f) => [f.field, f.from, f.source])).toEqual([
      ['traits.a', 'loser', 'web'], ['traits.shared', 'survivor', 'crm'], ['traits.zz', 'survivor', 'crm'],
    ]);
    const prov = out.survivorAfter.field_provenance as Record<string, { source: string }>;
    expect([prov['traits.a'].source, prov['traits.shared'].source, prov['traits.zz'].source]).toEqual(['web', 'crm', 'crm']);
    // A provenance recorded for traits as a whole (no per-key entry) stands for each of its keys:
    // the crm side wins the shared key though the other was updated later, on either side of the merge.
    await app.sql(`update customers set field_provenance = '{"traits": {"source": "crm", "at": "2020-01-01T00:00:00Z"}}'::jsonb, updated_at = '2020-01-01T00:00:00Z' where id = ?`, [s.id]);
    await app.sql(`update customers set field_provenance = '{}'::jsonb, updated_at = now() where id = ?`, [l.id]);
    const a = await previewMerge(em.fork(), s.id, l.id, policy);
    expect(a.fields.find((f) => f.field === 'traits.shared')).toMatchObject({ from: 'survivor', source: 'crm' });
    const b = await previewMerge(em.fork(), l.id, s.id, policy);
    expect(b.fields.find((f) => f.field === 'traits.shared')).toMatchObject({ from: 'loser', source: 'crm' });
    expect(b.survivorAfter.traits).toMatchObject({ shared: 's' });
    // The preview's own merge, rolled back: its reason and actor say so.
    expect(b.merge).toMatchObject({ reason: 'preview', actor: 'preview' });
  });

  it('the merged provenance records each field that has a value or a recorded source, from the side it came from', async () => {
    const em = app.orm.em.fork() as EntityManager;
    const x = (await upsert({ email: `pv.x.${uniq()}@example.com`, firstName: 'Xa', source: 'crm' })).customer;
    const y = (await upsert({ email: `pv.y.${uniq()}@example.com`, traits: { tier: 'gold' }, source: 'web' })).customer;
    const { survivorAfter, fields } = await previewMerge(em.fork(), uuidOf(x.id), uuidOf(y.id), parseMergePolicy(undefined));
    // No phone, birth date, locale or address on either side, and no source recorded for them: not listed.
    const prov = survivorAfter.field_provenance as Record<string, { source: string }>;
    expect(Object.fromEntries(Object.entries(prov).map(([k, v]) => [k, v.source]))).toEqual({ email: 'web', firstName: 'crm', 'traits.tier': 'web' });
    expect(fields.map((f) => [f.field, f.from, f.source])).toEqual([['firstName', 'survivor', 'crm'], ['email', 'loser', 'web'], ['traits.tier', 'loser', 'web']]);
    expect(survivorAfter).toMatchObject({ first_name: 'Xa', email: y.email, traits: { tier: 'gold' } });
  });

  it("moves the loser's unique rows (stated preferences) to the survivor, keeps the duplicates apart, and the unmerge gives them back", async () => {
    const SET = `mutation($c: ID!, $input: SetPreferencesInput!) { setPreferences(customerId: $c, input: $input) { __typename } }`;
    const STATED = `query($id: ID!) { customer(id: $id) { preferences { stated { kind value } } } }`;
    const stated = async (id: string) => {
      const res = await app.gql(STATED, { id });
      expect(res.errors).toBeUndefined();
      return (res.data.customer.preferences.stated as Array<{ kind: string; value: string }>).map((p) => `${p.kind}:${p.value}`).sort();
    };
    const owned = async (id: string) =>
      (await app.sql<{ p: string }>(`select kind || ':' || value p from customer_preferences where customer_id = ? order by 1`, [uuidOf(id)])).map((r) => r.p);
    const survivor = await richCustomer('prefs');
    const loser = await richCustomer('prefl');
    expect((await app.gql(SET, { c: survivor.id, input: { categories: ['books', 'music'] } })).errors).toBeUndefined();
    expect((await app.gql(SET, { c: loser.id, input: { categories: ['books', 'garden'], brands: ['Penguin'] } })).errors).toBeUndefined();
    const loserBefore = await owned(loser.id);
    const survivorBefore = await owned(survivor.id);

    const res = await app.gql(MERGE, { input: { survivorId: survivor.id, loserId: loser.id, reason: 'same reader' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.mergeCustomers.merge.moves).toEqual(expect.arrayContaining([{ table: 'customer_preferences', rows: 2 }]));
    expect(await stated(survivor.id)).toEqual(['BRAND:Penguin', 'CATEGORY:books', 'CATEGORY:garden', 'CATEGORY:music']);
    // The survivor's own "books" stays; the loser's identical row stays behind on the merged profile.
    expect(await owned(loser.id)).toEqual(['category:books']);

    expect((await app.gql(UNMERGE, { id: res.data.mergeCustomers.merge.id })).errors).toBeUndefined();
    expect(await owned(loser.id)).toEqual(loserBefore);
    expect(await owned(survivor.id)).toEqual(survivorBefore);
  });

  it('traits chosen key by key: a 0, a false and an empty list are values, not gaps', async () => {
    const survivor = (await upsert({ email: `tv.s.${uniq()}@example.com`, traits: { n: 5, flag: true, tags: ['a'], word: 'x' }, source: 'web' })).customer;
    // Same source, written later: each of the loser's values is the more recent one, so each wins.
    const loser = (await upsert({ email: `tv.l.${uniq()}@example.com`, traits: { n: 0, flag: false, tags: [], word: 'y' }, source: 'web' })).customer;
    const res = await app.gql(MERGE, { input: { survivorId: survivor.id, loserId: loser.id, reason: 'dup' } });
    expect(res.errors).toBeUndefined();
    expect(res.data.mergeCustomers.survivor.traits).toEqual({ n: 0, flag: false, tags: [], word: 'y' });
    // Neither had an address: it stays SQL NULL (not a JSON null), as "has an address" queries expect.
    const [row] = await app.sql<{ none: boolean }>('select address is null as none from customers where id = ?', [uuidOf(survivor.id)]);
    expect(row.none).toBe(true);
  });

  it('tables added later move and move back whatever their keys, and the ledger names each row it moved', async () => {
    // Keyed by the customer alone; and one with two unique keys that include customer_id, one of them on
    // a column whose name holds a double quote.
    const one = `merge_one_${uniq()}`;
    const two = `merge_two_${uniq()}`;
    await app.sql(`create table ${one} (customer_id uuid primary key references customers (id), note text not null)`);
    // Its primary key's name holds a double quote too (the RETURNING of the move once rewrote it with a pattern, and failed).
    await app.sql(`create table ${two} ("i""d" text primary key, customer_id uuid not null references customers (id), "a""x" int not null, b int not null,
      unique (customer_id, "a""x"), unique (customer_id, b))`);
    try {
      const s = await richCustomer('keys-s');
      const l = await richCustomer('keys-l');
      const [S, L] = [uuidOf(s.id), uuidOf(l.id)];
      await app.sql(`insert into ${one} values (?, 'the loser''s')`, [L]);
      // l1 is the loser's own; l2 repeats the survivor's "a""x", l3 its b: those two stay with the loser.
      await app.sql(`insert into ${two} values ('s1', ?, 1, 1), ('l1', ?, 2, 2), ('l2', ?, 1, 3), ('l3', ?, 4, 1)`, [S, L, L, L]);
      const orderIds = (await app.sql<{ id: string }>('select id::text id from orders where customer_id = ?', [L])).map((r) => r.id);
      const [seen] = await app.sql<{ id: string; at: Date }>('select id::text id, occurred_at at from interactions where customer_id = ?', [L]);
      const before = await digest();

      const res = await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } });
      expect(res.errors).toBeUndefined();
      const merge = res.data.mergeCustomers.merge;
      expect(merge.moves).toEqual(expect.arrayContaining([{ table: one, rows: 1 }, { table: two, rows: 1 }]));
      expect((await app.sql<{ customer_id: string }>(`select customer_id from ${one}`)).map((r) => r.customer_id)).toEqual([S]);
      expect((await app.sql<{ id: string }>(`select "i""d" as id from ${two} where customer_id = ? order by 1`, [L])).map((r) => r.id)).toEqual(['l2', 'l3']);
      // The ledger: per table, the key of each row moved (the primary key's text; a JSON array for a
      // composite key; '-' for a table keyed by the customer alone), which the unmerge moves back by.
      const [{ moved }] = await app.sql<{ moved: Record<string, string[]> }>('select moved from customer_merges where id = ?', [uuidOf(merge.id)]);
      expect(Object.keys(moved).sort()).toEqual(['consent_records', 'feedback', 'identities', 'interactions', one, 'order_lines', 'orders', two].sort());
      expect(moved[one]).toEqual(['-']);
      expect(moved[two]).toEqual(['l1']);
      expect(moved.orders).toEqual(orderIds);
      expect(moved.interactions).toHaveLength(1);
      const [id, at] = JSON.parse(moved.interactions[0]) as [string, string];
      expect([id, new Date(at).toISOString()]).toEqual([seen.id, new Date(seen.at).toISOString()]);

      expect((await app.gql(UNMERGE, { id: merge.id })).errors).toBeUndefined();
      await app.sql('delete from customer_merges where id = ?', [uuidOf(merge.id)]);
      expect(await digest()).toBe(before);
    } finally {
      await app.sql(`drop table ${one}`);
      await app.sql(`drop table ${two}`);
    }
  });

  it('lists the moves by table name in locale order, whatever order the catalogue gives the tables in', async () => {
    // PostgreSQL's C collation puts a digit before '_', locale order '_' before a digit.
    const u = uniq();
    const [under, digit] = [`mrg${u}_x`, `mrg${u}1_x`];
    for (const t of [under, digit]) await app.sql(`create table ${t} (id serial primary key, customer_id uuid not null references customers (id))`);
    try {
      const s = (await upsert({ email: `mo.s.${uniq()}@example.com` })).customer;
      const l = (await upsert({ email: `mo.l.${uniq()}@example.com` })).customer;
      for (const t of [under, digit]) await app.sql(`insert into ${t} (customer_id) values (?)`, [uuidOf(l.id)]);
      const res = await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } });
      expect(res.errors).toBeUndefined();
      const tables = (res.data.mergeCustomers.merge.moves as Array<{ table: string }>).map((m) => m.table);
      expect(tables).toEqual([...tables].sort((p, q) => p.localeCompare(q)));
      expect(tables.filter((t) => t.startsWith(`mrg${u}`))).toEqual([under, digit]);
    } finally {
      for (const t of [under, digit]) await app.sql(`drop table ${t}`);
    }
  });

  it('the unmerge keeps a trait rewritten since the merge as an object that reads like the old list', async () => {
    const s = (await upsert({ email: `ca.s.${uniq()}@example.com`, traits: { tags: ['a'] }, source: 'crm' })).customer;
    const l = (await upsert({ email: `ca.l.${uniq()}@example.com`, source: 'web' })).customer;
    const merge = (await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } })).data.mergeCustomers.merge;
    await app.sql(`update customers set traits = '{"tags": {"0": "a"}}'::jsonb where id = ?`, [uuidOf(s.id)]);
    expect((await app.gql(UNMERGE, { id: merge.id })).errors).toBeUndefined();
    const [row] = await app.sql<{ traits: unknown }>('select traits from customers where id = ?', [uuidOf(s.id)]);
    expect(row.traits).toEqual({ tags: { 0: 'a' } });
  });

  it('an automatic merge without a reason of its own records "automatic"; a manual one needs a reason', async () => {
    const s = (await upsert({ email: `ar.s.${uniq()}@example.com` })).customer;
    const l = (await upsert({ email: `ar.l.${uniq()}@example.com` })).customer;
    const policy = parseMergePolicy(undefined);
    await expect(mergeCustomers(app.orm.em.fork() as EntityManager, uuidOf(s.id), uuidOf(l.id), null, 'test', { policy })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT', message: 'reason is required: say why these profiles are the same person',
    });
    const { merge } = await mergeCustomers(app.orm.em.fork() as EntityManager, uuidOf(s.id), uuidOf(l.id), null, 'auto:test', { policy, automatic: true });
    const [row] = await app.sql<{ reason: string; automatic: boolean }>('select reason, automatic from customer_merges where id = ?', [merge.id]);
    expect(row).toEqual({ reason: 'automatic', automatic: true });
  });

  it('undoing a merge whose table no longer references customers: CONFLICT ROWS_CHANGED, nothing changed', async () => {
    const table = `merge_gone_${uniq()}`;
    await app.sql(`create table ${table} (id serial primary key, customer_id uuid not null constraint ${table}_fk references customers (id))`);
    try {
      const s = (await upsert({ email: `tg.s.${uniq()}@example.com` })).customer;
      const l = (await upsert({ email: `tg.l.${uniq()}@example.com` })).customer;
      await app.sql(`insert into ${table} (customer_id) values (?)`, [uuidOf(l.id)]);
      const merge = (await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } })).data.mergeCustomers.merge;
      expect(merge.moves).toEqual(expect.arrayContaining([{ table, rows: 1 }]));
      await app.sql(`alter table ${table} drop constraint ${table}_fk`);
      const before = await digest();
      const res = await app.gql(UNMERGE, { id: merge.id });
      expectError(res, 'CONFLICT');
      expect(res.errors![0].message).toBe(`table ${table} no longer belongs to customers; the merge cannot be undone`);
      expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'ROWS_CHANGED' });
      expect(await digest()).toBe(before);
    } finally {
      await app.sql(`drop table ${table}`);
    }
  });

  it('previewMerge writes nothing and shows the rows that would move', async () => {
    const a = await richCustomer('pa');
    const b = await richCustomer('pb');
    const before = await digest();
    const res = await app.gql(PREVIEW, { s: a.id, l: b.id }, { role: Role.SUPPORT });
    expect(res.errors).toBeUndefined();
    // Equal sources: the loser's values are the more recent ones, so they win (survivorship rule).
    expect(res.data.previewMerge).toMatchObject({ survivor: { id: a.id }, loser: { id: b.id }, result: { firstName: 'F-pb', email: b.email } });
    expect(res.data.previewMerge.moves).toEqual(expect.arrayContaining([{ table: 'orders', rows: 1 }, { table: 'identities', rows: 2 }]));
    expect(await digest()).toBe(before);
  });
});

describe('bad inputs change nothing', () => {
  let a: { id: string; email: string };
  let b: { id: string; email: string };
  let erased: { id: string };
  let merged: { id: string };
  // Set up by the first case that runs, not in a beforeAll: the mutation run (npm run test:mutation)
  // treats code run outside any test as "static" and then reruns every test of the file for each of
  // its mutants; inside a test, only the tests that reach a mutant run for it.
  let ready: Promise<void> | undefined;
  const setup = () => (ready ??= (async () => {
    a = (await upsert({ email: `bad.a.${uniq()}@example.com` })).customer;
    b = (await upsert({ email: `bad.b.${uniq()}@example.com` })).customer;
    erased = (await upsert({ email: `bad.e.${uniq()}@example.com` })).customer;
    merged = (await upsert({ email: `bad.m.${uniq()}@example.com` })).customer;
    expect((await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { __typename } }`, { id: erased.id })).errors).toBeUndefined();
    expect((await app.gql(MERGE, { input: { survivorId: b.id, loserId: merged.id, reason: 'dup' } })).errors).toBeUndefined();
  })());

  const NO_SUCH = toGlobalId('Customer', '00000000-0000-4000-8000-000000000000');
  const cases: Array<[string, () => { doc: string; vars: Record<string, unknown> }, string, RegExp]> = [
    ['unknown survivor', () => ({ doc: MERGE, vars: { input: { survivorId: NO_SUCH, loserId: a.id, reason: 'x' } } }), 'NOT_FOUND', /customer not found/],
    ['unknown loser', () => ({ doc: MERGE, vars: { input: { survivorId: a.id, loserId: NO_SUCH, reason: 'x' } } }), 'NOT_FOUND', /customer not found/],
    ['a customer into itself', () => ({ doc: MERGE, vars: { input: { survivorId: a.id, loserId: a.id, reason: 'x' } } }), 'BAD_USER_INPUT', /cannot be merged into itself/],
    ['an erased customer', () => ({ doc: MERGE, vars: { input: { survivorId: a.id, loserId: erased.id, reason: 'x' } } }), 'NOT_FOUND', /customer not found/],
    ['a customer already merged', () => ({ doc: MERGE, vars: { input: { survivorId: a.id, loserId: merged.id, reason: 'x' } } }), 'CONFLICT', /already merged/],
    ['into a merged survivor', () => ({ doc: MERGE, vars: { input: { survivorId: merged.id, loserId: a.id, reason: 'x' } } }), 'CONFLICT', /already merged/],
    ['a blank reason', () => ({ doc: MERGE, vars: { input: { survivorId: a.id, loserId: b.id, reason: '  ' } } }), 'BAD_USER_INPUT', /reason is required/],
    ['an id of another type', () => ({ doc: MERGE, vars: { input: { survivorId: toGlobalId('Product', '00000000-0000-4000-8000-000000000000'), loserId: b.id, reason: 'x' } } }), 'BAD_USER_INPUT', /survivorId is not a valid Customer id/],
    ['unmerge of an unknown merge', () => ({ doc: UNMERGE, vars: { id: toGlobalId('CustomerMerge', '00000000-0000-4000-8000-000000000000') } }), 'NOT_FOUND', /merge not found/],
    ['unmerge with a customer id', () => ({ doc: UNMERGE, vars: { id: a.id } }), 'BAD_USER_INPUT', /mergeId is not a valid CustomerMerge id/],
    ['preview into itself', () => ({ doc: PREVIEW, vars: { s: a.id, l: a.id } }), 'BAD_USER_INPUT', /itself/],
    ['preview of an erased customer', () => ({ doc: PREVIEW, vars: { s: a.id, l: erased.id } }), 'NOT_FOUND', /customer not found/],
  ];
  it.each(cases)('%s', async (_name, make, code, message) => {
    await setup();
    const before = await digest();
    const { doc, vars } = make();
    const res = await app.gql(doc, vars);
    expectError(res, code, message);
    expect(await digest()).toBe(before);
  });

  it('a refused merge names the side at fault, and an already merged profile names where it went', async () => {
    await setup();
    const ext = async (survivorId: string, loserId: string) => (await app.gql(MERGE, { input: { survivorId, loserId, reason: 'x' } })).errors?.map((e) => e.extensions);
    expect(await ext(NO_SUCH, a.id)).toEqual([{ code: 'NOT_FOUND', field: 'survivorId' }]);
    expect(await ext(a.id, erased.id)).toEqual([{ code: 'NOT_FOUND', field: 'loserId' }]);
    expect(await ext(a.id, merged.id)).toEqual([{ code: 'CONFLICT', field: 'loserId', reason: 'ALREADY_MERGED', mergedIntoId: b.id }]);
    expect(await ext(merged.id, a.id)).toEqual([{ code: 'CONFLICT', field: 'survivorId', reason: 'ALREADY_MERGED', mergedIntoId: b.id }]);
  });

  it("both profiles list the merge: the survivor's and the merged-away one's", async () => {
    await setup();
    const merges = async (id: string) => (await app.gql(`query($id: ID!) { customer(id: $id) { merges { survivor { id } loser { id status } } } }`, { id })).data.customer.merges;
    const expected = [{ survivor: { id: b.id }, loser: { id: merged.id, status: 'MERGED' } }];
    expect(await merges(b.id)).toEqual(expected);
    expect(await merges(merged.id)).toEqual(expected);
    expect(await merges(a.id)).toEqual([]);
    // Both in one request (one batch of the loader): each gets its own merges only.
    const both = await app.gql(`query($a: ID!, $b: ID!) { a: customer(id: $a) { merges { loser { id } } } b: customer(id: $b) { merges { loser { id } } } }`, { a: a.id, b: b.id });
    expect(both.data).toEqual({ a: { merges: [] }, b: { merges: [{ loser: { id: merged.id } }] } });
  });

  it('undoing a merge whose merged-away profile was pointed elsewhere since (here by hand): CONFLICT, nothing changed', async () => {
    const s = (await upsert({ email: `lc.s.${uniq()}@example.com` })).customer;
    const l = (await upsert({ email: `lc.l.${uniq()}@example.com` })).customer;
    const o = (await upsert({ email: `lc.o.${uniq()}@example.com` })).customer;
    const m = (await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } })).data.mergeCustomers.merge;
    await app.sql('update customers set merged_into_id = ? where id = ?', [uuidOf(o.id), uuidOf(l.id)]);
    const before = await digest();
    const res = await app.gql(UNMERGE, { id: m.id });
    expectError(res, 'CONFLICT', /merged profile changed since the merge/);
    expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'LOSER_CHANGED' });
    expect(await digest()).toBe(before);
    // Still pointing at the survivor, but no longer MERGED (here by hand): the same refusal.
    await app.sql(`update customers set merged_into_id = ?, status = 'active' where id = ?`, [uuidOf(s.id), uuidOf(l.id)]);
    const before2 = await digest();
    const res2 = await app.gql(UNMERGE, { id: m.id });
    expectError(res2, 'CONFLICT', /merged profile changed since the merge/);
    expect(res2.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'LOSER_CHANGED' });
    expect(await digest()).toBe(before2);
  });

  it('rows of both customers that a partial unique key keeps apart: CONFLICT UNMOVABLE_ROWS, nothing changed', async () => {
    // A customer-owned table as a later feature might add one: at most one "primary" row per customer
    // (a partial unique index, which the merge cannot de-duplicate as it does full unique keys).
    const table = `merge_probe_${uniq()}`;
    await app.sql(`create table ${table} (id serial primary key, customer_id uuid not null references customers (id), is_primary boolean not null)`);
    await app.sql(`create unique index ${table}_primary on ${table} (customer_id) where is_primary`);
    try {
      const s = (await upsert({ email: `um.s.${uniq()}@example.com` })).customer;
      const l = (await upsert({ email: `um.l.${uniq()}@example.com` })).customer;
      await app.sql(`insert into ${table} (customer_id, is_primary) values (?, true), (?, true)`, [uuidOf(s.id), uuidOf(l.id)]);
      const before = await digest();
      const res = await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } });
      expectError(res, 'CONFLICT', new RegExp(`^${table} holds rows of both customers that cannot be combined; resolve them before merging$`));
      expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', reason: 'UNMOVABLE_ROWS', table });
      expect(await digest()).toBe(before);
      // Once the loser's row is no longer primary, it moves like any other.
      await app.sql(`update ${table} set is_primary = false where customer_id = ?`, [uuidOf(l.id)]);
      const ok = await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } });
      expect(ok.errors).toBeUndefined();
      expect(ok.data.mergeCustomers.merge.moves).toEqual(expect.arrayContaining([{ table, rows: 1 }]));
    } finally {
      await app.sql(`drop table ${table}`);
    }
  });

  it('any other failure while moving rows is not reported as UNMOVABLE_ROWS, and changes nothing', async () => {
    const table = `merge_fail_${uniq()}`;
    await app.sql(`create table ${table} (id serial primary key, customer_id uuid not null references customers (id))`);
    await app.sql(`create function ${table}_no() returns trigger language plpgsql as $$ begin raise exception 'no moves here'; end $$`);
    await app.sql(`create trigger ${table}_no before update on ${table} for each row execute function ${table}_no()`);
    try {
      const s = (await upsert({ email: `mf.s.${uniq()}@example.com` })).customer;
      const l = (await upsert({ email: `mf.l.${uniq()}@example.com` })).customer;
      await app.sql(`insert into ${table} (customer_id) values (?)`, [uuidOf(l.id)]);
      const before = await digest();
      const res = await app.gql(MERGE, { input: { survivorId: s.id, loserId: l.id, reason: 'dup' } });
      expectError(res, 'INTERNAL_SERVER_ERROR');
      expect(await digest()).toBe(before);
    } finally {
      await app.sql(`drop table ${table}`);
      await app.sql(`drop function ${table}_no()`);
    }
  });

  it('undoing twice, undoing a merge whose survivor was merged since, or whose rows changed owner: CONFLICT, nothing changed', async () => {
    const x = await richCustomer('x');
    const y = await richCustomer('y');
    await feedback(y.id);
    const z = await richCustomer('z');
    const yFeedback = (await app.sql<{ id: string }>('select id::text id from feedback where customer_id = ? order by id', [uuidOf(y.id)])).map((r) => r.id);
    expect(yFeedback).toHaveLength(2);
    const m1 = (await app.gql(MERGE, { input: { survivorId: x.id, loserId: y.id, reason: 'dup' } })).data.mergeCustomers.merge;
    const m2 = (await app.gql(MERGE, { input: { survivorId: z.id, loserId: x.id, reason: 'dup' } })).data.mergeCustomers.merge;
    let before = await digest();
    const merged = await app.gql(UNMERGE, { id: m1.id });
    expectError(merged, 'CONFLICT', /survivor was merged into another profile since/);
    expect(merged.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'SURVIVOR_MERGED', mergedIntoId: z.id });
    expect(await digest()).toBe(before);

    expect((await app.gql(UNMERGE, { id: m2.id })).errors).toBeUndefined();
    before = await digest();
    const twice = await app.gql(UNMERGE, { id: m2.id });
    expectError(twice, 'CONFLICT', /already undone/);
    expect(twice.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'ALREADY_UNDONE' });
    expect(await digest()).toBe(before);

    // A moved row reassigned since (here by hand: one of the two) blocks the undo of m1: nothing moves back.
    const other = await richCustomer('o');
    await app.sql('update feedback set customer_id = ? where id = ?', [uuidOf(other.id), yFeedback[0]]);
    before = await digest();
    const res = await app.gql(UNMERGE, { id: m1.id });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].message).toBe('1 of the feedback rows this merge moved no longer belong to the survivor; the merge cannot be undone');
    expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'ROWS_CHANGED', table: 'feedback' });
    expect(await digest()).toBe(before);
  });
});

describe('erasure', () => {
  it("erasing a survivor scrubs the ledger's profile snapshots; its merges can no longer be undone", async () => {
    const a = await richCustomer('era');
    const b = await richCustomer('erb');
    const m = (await app.gql(MERGE, { input: { survivorId: a.id, loserId: b.id, reason: 'dup' } })).data.mergeCustomers.merge;
    expect((await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { __typename } }`, { id: a.id })).errors).toBeUndefined();
    const [row] = await app.sql<Record<string, unknown>>('select survivor_before, loser_before, survivor_after from customer_merges where id = ?', [uuidOf(m.id)]);
    expect(row).toEqual({ survivor_before: {}, loser_before: {}, survivor_after: {} });
    const before = await digest();
    expectError(await app.gql(UNMERGE, { id: m.id }), 'CONFLICT', /erased/);
    expect(await digest()).toBe(before);
  });

  it("erasing a former loser scrubs the snapshots of the merges it was merged away in, though the survivor lives on", async () => {
    const keeper = await richCustomer('erk');
    const gone = await richCustomer('erg', { lastName: `Gone${uniq()}` });
    const m = (await app.gql(MERGE, { input: { survivorId: keeper.id, loserId: gone.id, reason: 'looked alike' } })).data.mergeCustomers.merge;
    expect((await app.gql(UNMERGE, { id: m.id })).errors).toBeUndefined();
    const ledger = async () => (await app.sql<{ s: string }>('select (survivor_before, loser_before, survivor_after)::text s from customer_merges where id = ?', [uuidOf(m.id)]))[0].s;
    const pii = [gone.email, gone.phone, gone.lastName];
    const before = await ledger();
    expect(pii.filter((v) => before.includes(v))).toEqual(pii);

    expect((await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { __typename } }`, { id: gone.id })).errors).toBeUndefined();
    const after = await ledger();
    expect(pii.filter((v) => after.includes(v))).toEqual([]);
  });
});

describe('erasure of the merged-away profile', () => {
  it('undoing a merge whose merged-away profile was erased since: CONFLICT ERASED, nothing changed', async () => {
    const keeper = await richCustomer('ek');
    const gone = await richCustomer('eg');
    const m = (await app.gql(MERGE, { input: { survivorId: keeper.id, loserId: gone.id, reason: 'dup' } })).data.mergeCustomers.merge;
    expect((await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { __typename } }`, { id: gone.id })).errors).toBeUndefined();
    const status = await app.sql<{ status: string }>('select status from customers where id = any(?::uuid[]) order by id = ? desc', [`{${uuidOf(keeper.id)},${uuidOf(gone.id)}}`, uuidOf(keeper.id)]);
    expect(status.map((r) => r.status)).toEqual(['active', 'erased']);
    const before = await digest();
    const res = await app.gql(UNMERGE, { id: m.id });
    expectError(res, 'CONFLICT');
    expect(res.errors![0].message).toBe('one of the two customers was erased since; the merge cannot be undone');
    expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', field: 'mergeId', reason: 'ERASED' });
    expect(await digest()).toBe(before);
  });

  it('refusals of a merge or an unmerge name the input field at fault', async () => {
    const a = (await upsert({ email: `rf.a.${uniq()}@example.com` })).customer;
    const b = (await upsert({ email: `rf.b.${uniq()}@example.com` })).customer;
    const ext = async (doc: string, vars: Record<string, unknown>) => (await app.gql(doc, vars)).errors?.map((e) => e.extensions);
    expect(await ext(MERGE, { input: { survivorId: a.id, loserId: b.id, reason: ' ' } })).toEqual([{ code: 'BAD_USER_INPUT', field: 'reason' }]);
    expect(await ext(MERGE, { input: { survivorId: a.id, loserId: b.id, reason: 'x'.repeat(501) } })).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'reason' })]);
    expect(await ext(MERGE, { input: { survivorId: a.id, loserId: a.id, reason: 'x' } })).toEqual([{ code: 'BAD_USER_INPUT', field: 'loserId' }]);
    expect(await ext(UNMERGE, { id: toGlobalId('CustomerMerge', '00000000-0000-4000-8000-000000000000') })).toEqual([{ code: 'NOT_FOUND', field: 'mergeId' }]);
  });
});

describe('the consent ledger stays append-only', () => {
  it('allows only a customer_id reassignment, only with rapport.reassign on, and nothing else', async () => {
    const a = await richCustomer('ca');
    const b = await richCustomer('cb');
    const [rec] = await app.sql<{ id: string }>('select id from consent_records where customer_id = ? limit 1', [uuidOf(a.id)]);
    const inTx = async (sql: string, params: unknown[], flag: boolean) => {
      const em = app.orm.em.fork() as EntityManager;
      return em.transactional(async (tem) => {
        if (flag) await tem.execute(`select set_config('rapport.reassign', 'on', true)`);
        return tem.execute(sql, params);
      });
    };
    await expect(inTx('update consent_records set customer_id = ? where id = ?', [uuidOf(b.id), rec.id], false)).rejects.toThrow(/append-only/);
    await expect(inTx(`update consent_records set status = 'denied' where id = ?`, [rec.id], true)).rejects.toThrow(/append-only/);
    await expect(inTx(`update consent_records set customer_id = ?, status = 'denied' where id = ?`, [uuidOf(b.id), rec.id], true)).rejects.toThrow(/append-only/);
    await expect(inTx('delete from consent_records where id = ?', [rec.id], true)).rejects.toThrow(/append-only/);
    await inTx('update consent_records set customer_id = ? where id = ?', [uuidOf(b.id), rec.id], true);
    const [row] = await app.sql<{ customer_id: string }>('select customer_id from consent_records where id = ?', [rec.id]);
    expect(row.customer_id).toBe(uuidOf(b.id));
    // The flag is transaction-local: the next transaction is refused again.
    await expect(inTx('update consent_records set customer_id = ? where id = ?', [uuidOf(a.id), rec.id], false)).rejects.toThrow(/append-only/);
  });
});

describe('access', () => {
  it.each([Role.MARKETING, Role.ANALYST, Role.CUSTOMER])('%s may not preview, merge, unmerge or list merges', async (role) => {
    const a = (await upsert({ email: `acc.a.${uniq()}@example.com` })).customer;
    const b = (await upsert({ email: `acc.b.${uniq()}@example.com` })).customer;
    const m = (await app.gql(MERGE, { input: { survivorId: a.id, loserId: b.id, reason: 'dup' } })).data.mergeCustomers.merge;
    const before = await digest();
    const opts = { role, customerId: role === Role.CUSTOMER ? a.id : undefined };
    for (const [doc, vars, field] of [
      [PREVIEW, { s: a.id, l: b.id }, 'previewMerge'],
      [MERGE, { input: { survivorId: b.id, loserId: a.id, reason: 'x' } }, 'mergeCustomers'],
      [UNMERGE, { id: m.id }, 'unmergeCustomers'],
    ] as const) {
      const res = await app.gql(doc, vars, opts);
      expect(res.errors?.map((e) => ({ code: e.extensions?.code, reason: e.extensions?.reason, path: e.path }))).toEqual([{ code: 'FORBIDDEN', reason: 'ROLE', path: [field] }]);
    }
    const list = await app.gql(`query($id: ID!) { customer(id: $id) { merges { id } } }`, { id: a.id }, opts);
    expect(list.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE' });
    expect(await digest()).toBe(before);
  });

  it('unauthenticated callers are refused', async () => {
    const res = await app.gql(PREVIEW, { s: toGlobalId('Customer', '00000000-0000-4000-8000-000000000001'), l: toGlobalId('Customer', '00000000-0000-4000-8000-000000000002') }, { role: null });
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

it('identity kinds of the default policy: device never merges automatically', () => {
  expect(parseMergePolicy(undefined).autoMergeKinds).not.toContain(IdentityKind.DEVICE);
});
