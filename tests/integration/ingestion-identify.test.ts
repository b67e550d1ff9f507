import { startTestApp, type TestApp } from '../helpers/test-server';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import { upsertCustomer } from '../../src/ingestion/identify';
import { upsertOne } from '../../src/ingestion/single';
import { OPERATOR_RIGHTS } from '../../src/ingestion/rules';
import { parseMergePolicy } from '../../src/services/merge-policy';
import type { EntityManager } from '@mikro-orm/postgresql';
import { IdentityKind } from '../../src/entities/enums';

/**
 * The ingestion core's identity step (src/ingestion/identify.ts) value by value: what each profile
 * field of a write stores and which provenance it records, the checks of a write, junk and suppressed
 * identifiers, and the merge decision (which owners may merge, which profile survives). Through
 * upsertCustomer over HTTP (a batch of one through the core) on a real database; the refusal no role
 * of the rights table can reach (a merge by a writer without the right to merge) through the core.
 * It is the `ingestion` mutation scope's light file (stryker.config.mjs).
 */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

let n = 0;
const uniq = () => `${Date.now().toString(36)}${(++n).toString(36)}`;
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];

const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) {
  created mergedCustomerIds ignoredIdentifiers { kind namespace reason }
  customer { id status firstName lastName email phone birthDate locale traits
    address { line1 line2 city region postalCode country }
    identities { kind namespace value } provenance { field source } } } }`;

type Payload = {
  created: boolean; mergedCustomerIds: string[]; ignoredIdentifiers: Array<{ kind: string; namespace: string; reason: string }>;
  customer: {
    id: string; status: string; firstName: string | null; lastName: string | null; email: string | null; phone: string | null;
    birthDate: string | null; locale: string | null; traits: Record<string, unknown>; address: Record<string, string | null> | null;
    identities: Array<{ kind: string; namespace: string; value: string }>; provenance: Array<{ field: string; source: string }>;
  };
};
type GqlError = { message: string; extensions: { code: string; field?: string; reason?: string; argumentName?: string; customerIds?: string[] } };

async function attempt(input: Record<string, unknown>, role: Role = Role.ADMIN): Promise<{ data?: Payload; error?: GqlError }> {
  const res = await app.gql(UPSERT, { input }, { role });
  if (res.errors) return { error: res.errors[0] as GqlError };
  return { data: res.data.upsertCustomer as Payload };
}
async function upsert(input: Record<string, unknown>): Promise<Payload> {
  const r = await attempt(input);
  if (r.error) throw new Error(JSON.stringify(r.error));
  return r.data!;
}
async function refusal(input: Record<string, unknown>): Promise<GqlError> {
  const r = await attempt(input);
  if (!r.error) throw new Error(`expected an error, got ${JSON.stringify(r.data)}`);
  return r.error;
}
const provenanceOf = (p: Payload) => Object.fromEntries(p.customer.provenance.map((x) => [x.field, x.source]));
const identitiesOf = (p: Payload) => p.customer.identities.map((i) => `${i.kind}:${i.namespace}:${i.value}`).sort();

describe('profile fields', () => {
  it('stores each given field cleaned, records the write\'s source for exactly those fields, and keeps the others', async () => {
    const email = `fields.${uniq()}@example.com`;
    const first = await upsert({
      email: `  ${email.toUpperCase()} `, firstName: '  Ada ', lastName: 'Lovelace', birthDate: '1900-01-01', locale: 'en-gb', source: ' crm ',
      address: { line1: ' 1 Road ', city: 'Town', country: 'gb', postalCode: ' AB1 2CD ', region: '  ' }, traits: { tier: 'gold' },
    });
    expect(first.created).toBe(true);
    expect(first.customer).toMatchObject({
      firstName: 'Ada', lastName: 'Lovelace', email, phone: null, birthDate: '1900-01-01', locale: 'en-GB', traits: { tier: 'gold' },
      address: { line1: '1 Road', line2: null, city: 'Town', region: null, postalCode: 'AB1 2CD', country: 'GB' },
    });
    expect(provenanceOf(first)).toEqual({
      firstName: 'crm', lastName: 'crm', email: 'crm', birthDate: 'crm', locale: 'crm', address: 'crm', 'traits.tier': 'crm',
    });
    expect(identitiesOf(first)).toEqual([`EMAIL::${email}`]);
    const [row] = await app.sql<{ source: string }>(`select source from identities where value = ?`, [email]);
    expect(row.source).toBe('crm');

    // Another source sets one field, clears one, adds a trait: the rest keeps its value and provenance.
    const second = await upsert({ id: first.customer.id, lastName: null, traits: { store: 'S1' }, source: 'store' });
    expect(second.created).toBe(false);
    expect(second.customer).toMatchObject({
      id: first.customer.id, firstName: 'Ada', lastName: null, email, locale: 'en-GB', birthDate: '1900-01-01', traits: { tier: 'gold', store: 'S1' },
      // a write that does not mention the address leaves it as it was
      address: { line1: '1 Road', line2: null, city: 'Town', region: null, postalCode: 'AB1 2CD', country: 'GB' },
    });
    expect(provenanceOf(second)).toEqual({
      firstName: 'crm', lastName: 'store', email: 'crm', birthDate: 'crm', locale: 'crm', address: 'crm', 'traits.tier': 'crm', 'traits.store': 'store',
    });

    // traits: null empties them and forgets every per-key provenance; address: null clears it. No source: 'api'.
    const third = await upsert({ id: first.customer.id, traits: null, address: null, firstName: 'Augusta' });
    expect(third.customer).toMatchObject({ firstName: 'Augusta', lastName: null, traits: {}, address: null });
    expect(provenanceOf(third)).toEqual({
      firstName: 'api', lastName: 'store', email: 'crm', birthDate: 'crm', locale: 'crm', address: 'api', traits: 'api',
    });

    // A phone, normalised; an empty write of the profile changes nothing but is accepted.
    const fourth = await upsert({ id: first.customer.id, phone: '+44 20 7946 0123', source: 'shop' });
    expect(fourth.customer.phone).toBe('+442079460123');
    expect(identitiesOf(fourth)).toEqual([`EMAIL::${email}`, 'PHONE::+442079460123']);
    expect(provenanceOf(fourth)).toMatchObject({ phone: 'shop', firstName: 'api', email: 'crm' });
  });

  it('refuses a birth date in the future or before 1900, a country that is not two letters, and a write naming no one', async () => {
    const email = `checks.${uniq()}@example.com`;
    const before = Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n);
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    for (const birthDate of [future, '1899-12-31']) {
      expect((await refusal({ email, birthDate })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'birthDate' });
    }
    expect((await refusal({ email, address: { country: 'G1' } })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'address.country' });
    expect((await refusal({ email, address: { country: 'GBR' } })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'address.country' });
    const none = await refusal({ firstName: 'Nobody' });
    expect(none.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'identities' });
    expect(none.extensions.reason).toBeUndefined();
    expect(none.message).toMatch(/give an id, an email, a phone or at least one identity/);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n)).toBe(before);
    // A birth date of today is in the past enough.
    const today = new Date().toISOString().slice(0, 10);
    expect((await upsert({ email, birthDate: today })).customer.birthDate).toBe(today);
  });
});

describe('junk and suppressed identifiers', () => {
  it('drops junk values before and after normalising, reports each with its kind and namespace, and stores none', async () => {
    const crm = `J-${uniq()}`;
    const r = await upsert({
      email: ' Test@Test.COM ', phone: '+1 234 567 8900 x5',
      identities: [{ kind: 'CRM_ID', namespace: 'SF', value: crm }, { kind: 'PHONE', value: '+1 (000) 000-0000' }, { kind: 'EMAIL', namespace: 'x', value: 'noreply@shop.example' }],
    });
    expect(r.created).toBe(true);
    expect(r.customer).toMatchObject({ email: null, phone: null });
    expect(identitiesOf(r)).toEqual([`CRM_ID:sf:${crm}`]);
    expect(r.ignoredIdentifiers).toEqual([
      { kind: 'EMAIL', namespace: '', reason: 'BLOCKLISTED' },
      { kind: 'PHONE', namespace: '', reason: 'BLOCKLISTED' },
      { kind: 'PHONE', namespace: '', reason: 'BLOCKLISTED' },
      { kind: 'EMAIL', namespace: 'x', reason: 'BLOCKLISTED' },
    ]);
    expect(provenanceOf(r)).toEqual({});
    // A phone that is junk only once normalised (the extension is not part of the number) in the identities too.
    const ext = await upsert({ id: r.customer.id, identities: [{ kind: 'PHONE', value: '+1 234 567 8900 ext. 7' }] });
    expect(ext.ignoredIdentifiers).toEqual([{ kind: 'PHONE', namespace: '', reason: 'BLOCKLISTED' }]);
    expect(identitiesOf(ext)).toEqual([`CRM_ID:sf:${crm}`]);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from identities where value in ('test@test.com', '+12345678900', '+10000000000')`))[0].n)).toBe(0);
  });

  it('refuses a write whose every identifier is junk, naming the kinds', async () => {
    const err = await refusal({ email: 'none@nowhere.example', phone: '+1 234 567 8900', firstName: 'Junk' });
    expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'identities', reason: 'BLOCKLISTED' });
    expect(err.message).toBe("every identifier given is a junk value on the merge policy's blocklist (email, phone); give a real email, phone or identity");
  });

  it('refuses an identifier of an erased customer, naming its kind', async () => {
    const email = `erased.${uniq()}@example.com`;
    const gone = await upsert({ email });
    await app.gql('mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }', { c: gone.customer.id });
    const err = await refusal({ identities: [{ kind: 'DEVICE', value: `d-${uniq()}` }, { kind: 'EMAIL', value: email }] });
    expect(err.extensions).toMatchObject({ code: 'CONFLICT', field: 'identities', reason: 'SUPPRESSED' });
    expect(err.message).toBe('identifier email belongs to an erased customer and may not be used to re-create them');
    // Its id is not found either.
    expect((await refusal({ id: gone.customer.id, firstName: 'Back' })).extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('the merge decision', () => {
  const backdate = (id: string, at: string) => app.sql(`update customers set created_at = ? where id = ?`, [at, uuidOf(id)]);

  it('merges into the oldest profile, whatever order the identifiers come in, and by id order when equally old', async () => {
    const a = await upsert({ email: `old.${uniq()}@example.com` });
    const b = await upsert({ email: `young.${uniq()}@example.com` });
    const c = await upsert({ phone: '+44 20 7946 0456' });
    // b is made the oldest: the survivor is chosen by age, not by creation order nor id.
    await backdate(b.customer.id, '2020-01-01T00:00:00Z');
    await backdate(a.customer.id, '2021-01-01T00:00:00Z');
    await backdate(c.customer.id, '2022-01-01T00:00:00Z');
    const r = await upsert({ identities: [{ kind: 'EMAIL', value: a.customer.email }, { kind: 'PHONE', value: c.customer.phone }, { kind: 'EMAIL', value: b.customer.email }], source: 'web' });
    expect(r.customer.id).toBe(b.customer.id);
    expect(r.created).toBe(false);
    expect([...r.mergedCustomerIds].sort()).toEqual([a.customer.id, c.customer.id].sort());
    const merges = await app.sql<{ loser_id: string; reason: string; actor: string; automatic: boolean }>(
      `select loser_id, reason, actor, automatic from customer_merges where survivor_id = ? order by loser_id`, [uuidOf(b.customer.id)]);
    expect(merges.map((m) => m.loser_id)).toEqual([uuidOf(a.customer.id), uuidOf(c.customer.id)].sort());
    for (const m of merges) {
      // Recorded as automatic (CustomerMerge.automatic), which tells them from an agent's mergeCustomers.
      expect(m.automatic).toBe(true);
      expect(m.actor).toBe('auto:web');
      expect(m.reason).toBe('automatic: a write from "web" carried email, phone of both profiles');
    }

    // Two profiles created at the same instant: the smaller id survives.
    const d = await upsert({ email: `tie1.${uniq()}@example.com` });
    const e = await upsert({ email: `tie2.${uniq()}@example.com` });
    await backdate(d.customer.id, '2020-06-01T00:00:00Z');
    await backdate(e.customer.id, '2020-06-01T00:00:00Z');
    const [small, large] = [d, e].sort((x, y) => uuidOf(x.customer.id).localeCompare(uuidOf(y.customer.id)));
    const tie = await upsert({ identities: [{ kind: 'EMAIL', value: large.customer.email }, { kind: 'EMAIL', value: small.customer.email }] });
    expect(tie.customer.id).toBe(small.customer.id);
    expect(tie.mergedCustomerIds).toEqual([large.customer.id]);
  });

  it('merges the profile named by id with the owner of an identifier that may merge, and follows merged ids', async () => {
    const named = await upsert({ identities: [{ kind: 'DEVICE', value: `dev-${uniq()}` }] });
    const other = await upsert({ email: `owner.${uniq()}@example.com` });
    await backdate(named.customer.id, '2019-01-01T00:00:00Z');
    // The named profile is linked by no identifier at all; only the other owner's link kind counts.
    const r = await upsert({ id: named.customer.id, identities: [{ kind: 'EMAIL', value: other.customer.email }] });
    expect(r.customer.id).toBe(named.customer.id);
    expect(r.mergedCustomerIds).toEqual([other.customer.id]);
    // The merged-away id reaches the survivor.
    const late = await upsert({ id: other.customer.id, firstName: 'Late' });
    expect(late.customer).toMatchObject({ id: named.customer.id, firstName: 'Late' });
  });

  it('refuses owners linked only by kinds that may not merge automatically, naming those kinds and both profiles', async () => {
    const device = `dev-${uniq()}`;
    const a = await upsert({ identities: [{ kind: 'DEVICE', value: device }] });
    const b = await upsert({ email: `dev.owner.${uniq()}@example.com` });
    const digest = async () => (await app.sql<{ d: string }>(`select md5(string_agg(id::text || status || coalesce(merged_into_id::text, ''), ',' order by id)) d from customers`))[0].d;
    const before = await digest();
    // b is linked by email (may merge), a only by a device (may not): refused, whoever is named by id.
    for (const input of [
      { identities: [{ kind: 'EMAIL', value: b.customer.email }, { kind: 'DEVICE', value: device }] },
      { id: b.customer.id, identities: [{ kind: 'DEVICE', value: device }] },
    ]) {
      const err = await refusal(input);
      expect(err.extensions).toMatchObject({ code: 'CONFLICT', field: 'identities', reason: 'MERGE_POLICY' });
      expect([...err.extensions.customerIds!].sort()).toEqual([a.customer.id, b.customer.id].sort());
      expect(err.message).toContain('linked only by device, which may not merge automatically');
    }
    expect(await digest()).toBe(before);
  });

  it('merges an owner linked by a kind that may merge even when the write also links it by one that may not', async () => {
    const device = `both-${uniq()}`;
    const a = await upsert({ email: `both.a.${uniq()}@example.com`, identities: [{ kind: 'DEVICE', value: device }] });
    const b = await upsert({ email: `both.b.${uniq()}@example.com` });
    await backdate(a.customer.id, '2019-06-01T00:00:00Z');
    // a is linked by its e-mail and its device, b by its e-mail: both by a kind that may merge.
    const r = await upsert({ identities: [{ kind: 'DEVICE', value: device }, { kind: 'EMAIL', value: a.customer.email }, { kind: 'EMAIL', value: b.customer.email }] });
    expect(r.customer.id).toBe(a.customer.id);
    expect(r.mergedCustomerIds).toEqual([b.customer.id]);
  });

  it('a writer without the right to merge is refused before anything changes (MERGE_NOT_ALLOWED)', async () => {
    const a = await upsert({ email: `nm1.${uniq()}@example.com` });
    const b = await upsert({ email: `nm2.${uniq()}@example.com` });
    const em = app.orm.em.fork() as unknown as EntityManager;
    const policy = parseMergePolicy(undefined);
    await expect(upsertCustomer(em, { email: a.customer.email, identities: [{ kind: IdentityKind.EMAIL, value: b.customer.email! }] }, undefined, { policy, allowMerge: false }))
      .rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'MERGE_NOT_ALLOWED', customerIds: expect.arrayContaining([a.customer.id, b.customer.id]) } });
    const merged = await app.sql(`select 1 from customers where id in (?, ?) and status <> 'active'`, [uuidOf(a.customer.id), uuidOf(b.customer.id)]);
    expect(merged).toEqual([]);
    // With the right (the default), the same write merges them.
    const r = await upsertCustomer(app.orm.em.fork() as unknown as EntityManager, { email: a.customer.email, identities: [{ kind: IdentityKind.EMAIL, value: b.customer.email! }] }, undefined, { policy });
    expect(r.mergedIds).toHaveLength(1);
  });

  it('called without options, takes MERGE_POLICY and PSEUDONYM_KEYS from the environment', async () => {
    const a = await upsert({ email: `env1.${uniq()}@example.com` });
    const b = await upsert({ email: `env2.${uniq()}@example.com` });
    const r = await upsertCustomer(app.orm.em.fork() as unknown as EntityManager, { email: 'TEST@test.com', identities: [{ kind: IdentityKind.EMAIL, value: a.customer.email! }, { kind: IdentityKind.EMAIL, value: b.customer.email! }] });
    expect(r.ignored).toEqual([{ kind: IdentityKind.EMAIL, namespace: '', reason: 'BLOCKLISTED' }]);
    expect(r.mergedIds).toHaveLength(1);
    expect([a.customer.id, b.customer.id]).toContain(toGlobalId('Customer', r.customer.id));
    // Without an identities list at all: the email alone.
    const alone = `env3.${uniq()}@example.com`;
    const c = await upsertCustomer(app.orm.em.fork() as unknown as EntityManager, { email: alone });
    expect(c.created).toBe(true);
    expect(c.customer.email).toBe(alone);
  });

  it('a customer writing to their own profile neither links nor learns about identifiers someone else holds', async () => {
    const me = await upsert({ email: `me.${uniq()}@example.com` });
    const other = await upsert({ email: `them.${uniq()}@example.com` });
    const device = `mine-${uniq()}`;
    const res = await app.gql(UPSERT, { input: { id: me.customer.id, identities: [{ kind: 'EMAIL', value: other.customer.email }, { kind: 'DEVICE', value: device }] } }, { role: Role.CUSTOMER, customerId: me.customer.id });
    expect(res.errors).toBeUndefined();
    expect(res.data.upsertCustomer.mergedCustomerIds).toEqual([]);
    const owners = await app.sql<{ value: string; customer_id: string }>(`select value, customer_id from identities where value in (?, ?) order by value`, [other.customer.email, device]);
    expect(owners.map((o) => [o.value, toGlobalId('Customer', o.customer_id)])).toEqual([[device, me.customer.id], [other.customer.email!, other.customer.id]].sort((x, y) => x[0].localeCompare(y[0])));
  });
});

describe('the identity limit of a customer writing their own profile', () => {
  it('does not count an identifier the profile already holds, and counts a new one', async () => {
    const crm = `own-${uniq()}`;
    const me = await upsert({ email: `own.${uniq()}@example.com`, identities: [{ kind: 'CRM_ID', namespace: 'sf', value: crm }] });
    const asMe = (input: Record<string, unknown>) => app.gql(UPSERT, { input: { id: me.customer.id, ...input } }, { role: Role.CUSTOMER, customerId: me.customer.id });
    // Their own CRM id again (the default MERGE_POLICY allows one per namespace): accepted, stored once.
    const again = await asMe({ identities: [{ kind: 'CRM_ID', namespace: 'sf', value: crm }], firstName: 'Again' });
    expect(again.errors).toBeUndefined();
    expect(again.data.upsertCustomer.customer.firstName).toBe('Again');
    expect(identitiesOf(again.data.upsertCustomer as Payload)).toEqual([`CRM_ID:sf:${crm}`, `EMAIL::${me.customer.email}`]);
    // A second one of that namespace is refused.
    const second = await asMe({ identities: [{ kind: 'CRM_ID', namespace: 'sf', value: `${crm}-2` }] });
    expect(second.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDENTITY_LIMIT' });
  });
});

describe('single mutations answer their event\'s rejection as their own error (single.ts)', () => {
  const ORDER = `mutation($input: RecordOrderInput!) { recordOrder(input: $input) { created order { id } } }`;
  const INTERACTION = `mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate interaction { id } } }`;
  const first = async (doc: string, input: Record<string, unknown>) => {
    const res = await app.gql(doc, { input });
    return { data: res.data, error: res.errors?.[0] as GqlError | undefined };
  };

  it('drops the payload prefix from field and message and names fields as the mutation does', async () => {
    const c = await upsert({ email: `single.${uniq()}@example.com` });
    const sku = `SGL-${uniq()}`;
    await app.gql(`mutation($input: UpsertProductInput!) { upsertProduct(input: $input) { id } }`, { input: { sku, name: 'Single', category: 'books', priceMinor: 700, currency: 'EUR' } });
    const order = (extra: Record<string, unknown>) => ({ customerId: c.customer.id, source: 'shop', placedAt: '2026-03-01T10:00:00Z', channel: 'WEB', currency: 'EUR', lines: [{ sku, quantity: 1 }], ...extra });

    const bad = await first(ORDER, order({ lines: [{ sku, quantity: 1 }, { sku, quantity: 100_001 }] }));
    expect(bad.error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lines[1].quantity' });
    expect(bad.error!.message).toBe('lines[1].quantity must be 1 to 100000');

    const number = `N-${uniq()}`;
    expect((await first(ORDER, order({ externalId: number }))).data.recordOrder.created).toBe(true);
    const replay = await first(ORDER, order({ externalId: number }));
    expect(replay.data.recordOrder.created).toBe(false);
    const reused = await first(ORDER, order({ externalId: number, lines: [{ sku, quantity: 2 }] }));
    expect(reused.error!.extensions).toMatchObject({ code: 'CONFLICT', field: 'externalId', reason: 'KEY_REUSED' });

    const future = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const late = await first(INTERACTION, { customerId: c.customer.id, occurredAt: future, channel: 'WEB', type: 'PAGE_VIEW' });
    expect(late.error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'occurredAt' });
    expect(late.error!.message).toBe('occurredAt is in the future');

    const key = `ev-${uniq()}`;
    const view = { customerId: c.customer.id, occurredAt: '2026-03-01T10:00:00Z', channel: 'WEB', type: 'PAGE_VIEW', sourceEventId: key };
    expect((await first(INTERACTION, view)).data.recordInteraction.duplicate).toBe(false);
    expect((await first(INTERACTION, view)).data.recordInteraction.duplicate).toBe(true);
    const other = await first(INTERACTION, { ...view, type: 'SEARCH' });
    expect(other.error!.extensions).toMatchObject({ code: 'CONFLICT', field: 'sourceEventId', reason: 'KEY_REUSED' });

    // upsertCustomer: identifiers are its `identities`, customerId its `id`; an id of another type is refused as input.id.
    const email = await refusal({ identities: [{ kind: 'DEVICE', value: `d-${uniq()}` }, { kind: 'EMAIL', value: 'not-an-email' }] });
    expect(email.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'identities[1].value' });
    const gone = await refusal({ id: toGlobalId('Customer', '00000000-0000-4000-8000-000000000001'), firstName: 'X' });
    expect(gone.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const product = await refusal({ id: toGlobalId('Product', '00000000-0000-4000-8000-000000000001'), firstName: 'X' });
    expect(product.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argumentName: 'input.id' });
    expect(product.message).toBe('input.id is not a valid Customer id');
  });

  it('tells a direct caller of upsertOne whether the write was a replay of its key', async () => {
    const em = () => app.orm.em.fork() as unknown as EntityManager;
    const data = { email: `dup.${uniq()}@example.com`, idempotencyKey: `dup-${uniq()}`, source: 'crm' };
    const once = await upsertOne(em(), data, undefined, { rights: OPERATOR_RIGHTS });
    const again = await upsertOne(em(), data, undefined, { rights: OPERATOR_RIGHTS });
    expect([once.duplicate, once.created, again.duplicate, again.created]).toEqual([false, true, true, false]);
    expect(again.customer.id).toBe(once.customer.id);
  });

  it('answers an upsertCustomer replay with the customer first written, created false, nothing merged nor ignored', async () => {
    const key = `up-${uniq()}`;
    const email = `replay.${uniq()}@example.com`;
    const input = { idempotencyKey: key, email, phone: '+1 234 567 8900', source: 'crm' };
    const once = await upsert(input);
    expect(once).toMatchObject({ created: true, ignoredIdentifiers: [{ kind: 'PHONE', namespace: '', reason: 'BLOCKLISTED' }] });
    const again = await upsert(input);
    expect(again).toMatchObject({ created: false, mergedCustomerIds: [], ignoredIdentifiers: [], customer: { id: once.customer.id, email } });
    const reused = await refusal({ ...input, firstName: 'Other' });
    expect(reused.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey', reason: 'KEY_REUSED' });
  });
});

describe('messages and defaults', () => {
  it('names the limit of a country that is too long, and records a direct write without source as "api"', async () => {
    const long = await refusal({ email: `country.${uniq()}@example.com`, address: { country: 'GBR' } });
    expect(long.message).toBe('address.country must be at most 2 characters');
    const odd = await refusal({ email: `country.${uniq()}@example.com`, address: { country: 'G1' } });
    expect(odd.message).toBe('address.country must be an ISO 3166-1 alpha-2 code');
    const email = `direct.${uniq()}@example.com`;
    const r = await upsertCustomer(app.orm.em.fork() as unknown as EntityManager, { email, firstName: 'Direct' });
    expect(r.customer.fieldProvenance.firstName?.source).toBe('api');
    const [row] = await app.sql<{ source: string }>(`select source from identities where value = ?`, [email]);
    expect(row.source).toBe('api');
  });
});

describe('addresses and merged-away ids', () => {
  it('stores every line of an address given in full, each cleaned', async () => {
    const r = await upsert({
      email: `address.${uniq()}@example.com`,
      address: { line1: ' 2 Lane ', line2: ' Flat 3 ', city: ' Canterbury ', region: ' Kent ', postalCode: ' CT1 1AA ', country: ' gb ' },
    });
    expect(r.customer.address).toEqual({ line1: '2 Lane', line2: 'Flat 3', city: 'Canterbury', region: 'Kent', postalCode: 'CT1 1AA', country: 'GB' });
    const [row] = await app.sql<{ address: Record<string, string> }>(`select address from customers where id = ?`, [uuidOf(r.customer.id)]);
    expect(row.address).toEqual({ line1: '2 Lane', line2: 'Flat 3', city: 'Canterbury', region: 'Kent', postalCode: 'CT1 1AA', country: 'GB' });
  });

  it('answers NOT_FOUND for the id of a merged-away profile erased on its own, even beside its survivor in one batch', async () => {
    const t = uniq();
    const survivor = await upsert({ email: `kept.${t}@example.com` });
    const loser = await upsert({ email: `gone.${t}@example.com` });
    const merged = await app.gql(`mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { survivor { id } } }`,
      { input: { survivorId: survivor.customer.id, loserId: loser.customer.id, reason: 'same person' } });
    expect(merged.errors).toBeUndefined();
    const erased = await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { customer { status } } }`, { id: loser.customer.id });
    expect(erased.errors).toBeUndefined();
    // The erased profile still records whom it was merged into; its id must not lead there.
    const [gone] = await app.sql<{ status: string; merged_into_id: string | null }>(`select status, merged_into_id from customers where id = ?`, [uuidOf(loser.customer.id)]);
    expect(gone).toEqual({ status: 'erased', merged_into_id: uuidOf(survivor.customer.id) });
    const at = '2026-03-01T10:00:00.000Z';
    const view = (key: string, customerId: string) => ({ kind: 'INTERACTION', idempotencyKey: `${key}-${t}`, source: 'web', customerId, interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW' } });
    const res = await app.gql(`mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { results { status customerId error { code field } } } }`,
      { events: [view('s', survivor.customer.id), view('l', loser.customer.id)] });
    expect(res.errors).toBeUndefined();
    expect(res.data.ingestEvents.results).toEqual([
      { status: 'ACCEPTED', customerId: survivor.customer.id, error: null },
      { status: 'REJECTED', customerId: null, error: { code: 'NOT_FOUND', field: 'events[1].customerId' } },
    ]);
    const stored = await app.sql<{ n: string }>(`select count(*) as n from interactions where customer_id = ? and occurred_at = ?`, [uuidOf(survivor.customer.id), at]);
    expect(Number(stored[0].n)).toBe(1);
  });
});

describe('limits of a profile write', () => {
  it('limits the postal code to 20 characters, the merged traits to 16 KB, and stores an identifier given twice once', async () => {
    const email = `limits.${uniq()}@example.com`;
    expect((await refusal({ email, address: { postalCode: '1'.repeat(21) } })).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'address.postalCode' });
    const c = await upsert({ email, identities: [{ kind: 'EMAIL', value: email.toUpperCase() }], address: { postalCode: '1'.repeat(20) }, traits: { a: 'x'.repeat(10_000) } });
    expect(c.customer.address!.postalCode).toBe('1'.repeat(20));
    expect(identitiesOf(c)).toEqual([`EMAIL::${email}`]);
    const big = await refusal({ id: c.customer.id, traits: { b: 'y'.repeat(10_000) } });
    expect(big.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'traits' });
    expect(big.message).toBe('traits must be at most 16384 bytes of JSON');
  });

  it('refuses traits over 16 KB in one write and a birth date in the future, each with its field and message', async () => {
    const email = `single-limits.${uniq()}@example.com`;
    const big = await refusal({ email, traits: { a: 'x'.repeat(16_400) } });
    expect(big.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'traits' });
    expect(big.message).toBe('traits must be at most 16384 bytes of JSON');
    const late = await refusal({ email, birthDate: '2999-01-01' });
    expect(late.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'birthDate' });
    expect(late.message).toBe('birthDate must be a past date after 1900');
    // Neither refused write created anyone.
    expect(await app.sql(`select 1 from identities where value = ?`, [email])).toEqual([]);
  });

  it('refuses a name or address line over 200 characters, naming the field, and stores nothing', async () => {
    const email = `long.${uniq()}@example.com`;
    const long = 'x'.repeat(201);
    for (const [input, field] of [
      [{ firstName: long }, 'firstName'], [{ lastName: long }, 'lastName'],
      [{ address: { line1: long } }, 'address.line1'], [{ address: { line2: long } }, 'address.line2'],
      [{ address: { city: long } }, 'address.city'], [{ address: { region: long } }, 'address.region'],
    ] as Array<[Record<string, unknown>, string]>) {
      const err = await refusal({ email, ...input });
      expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(err.message).toBe(`${field} must be at most 200 characters`);
    }
    expect(await app.sql(`select 1 from identities where value = ?`, [email])).toEqual([]);
    // 200 characters are taken.
    const ok = await upsert({ email, firstName: 'y'.repeat(200), address: { city: 'z'.repeat(200) } });
    expect(ok.customer).toMatchObject({ firstName: 'y'.repeat(200), address: { city: 'z'.repeat(200) } });
  });

  it('clears the profile\'s email and phone when a write gives them as null, keeping their identities', async () => {
    const email = `clear.${uniq()}@example.com`;
    const c = await upsert({ email, phone: '+44 20 7946 0987', source: 'crm' });
    expect(c.customer).toMatchObject({ email, phone: '+442079460987' });
    const cleared = await upsert({ id: c.customer.id, email: null, phone: null, source: 'shop' });
    expect(cleared.customer).toMatchObject({ id: c.customer.id, email: null, phone: null });
    expect(provenanceOf(cleared)).toMatchObject({ email: 'shop', phone: 'shop' });
    // The identities stay: the person is still recognised by them.
    expect(identitiesOf(cleared)).toEqual([`EMAIL::${email}`, 'PHONE::+442079460987']);
    // Absent (not null) leaves them as they are.
    const again = await upsert({ id: c.customer.id, email, phone: '+44 20 7946 0987' });
    const kept = await upsert({ id: c.customer.id, firstName: 'Kept' });
    expect(kept.customer).toMatchObject({ email: again.customer.email, phone: '+442079460987', firstName: 'Kept' });
  });
});

describe('what a single mutation hands the core', () => {
  it('audits the write under the customer written, once', async () => {
    const c = await upsert({ email: `audited.${uniq()}@example.com` });
    const rows = async () => app.sql<{ action: string; customer_id: string }>(
      `select action, customer_id from audit_log where operation = 'upsertCustomer' and customer_id = ?`, [uuidOf(c.customer.id)]);
    const before = (await rows()).length;
    await upsert({ id: c.customer.id, firstName: 'Audited' });
    const after = await rows();
    expect(after.length).toBe(before + 1);
    expect(after.every((r) => r.action === 'WRITE' && r.customer_id === uuidOf(c.customer.id))).toBe(true);
  });

  it('applies the server\'s MERGE_POLICY, not the environment\'s', async () => {
    const strict = await startTestApp({ MERGE_POLICY: '{"autoMergeKinds":["email"]}' });
    try {
      const run = async (input: Record<string, unknown>) => strict.gql(UPSERT, { input });
      const a = (await run({ email: `strict.a.${uniq()}@example.com` })).data.upsertCustomer.customer;
      const b = (await run({ phone: '+44 20 7946 0777' })).data.upsertCustomer.customer;
      // Linked only by the phone, which this server does not merge automatically (the default policy would).
      const res = await run({ email: a.email, phone: b.phone });
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MERGE_POLICY' });
    } finally {
      await strict.close();
    }
  });
});
