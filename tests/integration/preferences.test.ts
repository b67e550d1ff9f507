import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer, makeProduct } from '../helpers/fixtures';
import { fromGlobalId } from '../../src/schema/global-id';
import { Role } from '../../src/auth/viewer';
import { setPreferences } from '../../src/services/preferences.service';
import { DomainError } from '../../src/errors/domain-error';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Stated preferences (setPreferences, its validation and ownership) and inferred ones (orders, views, decay, consent). */
let app: TestApp;
const DAY = 86_400_000;

const SET = `mutation($c: ID!, $input: SetPreferencesInput!) { setPreferences(customerId: $c, input: $input) { stated { kind value source statedAt } } }`;
const READ = `query($id: ID!) { customer(id: $id) { preferences {
  stated { kind value source statedAt }
  inferred { available unavailableReason categories { value score basis purchasedUnits views } brands { value score basis purchasedUnits views } } } } }`;

/** Everything a rejected write could touch: every table the shared digest covers, plus preferences. */
async function digest(): Promise<string> {
  const [p] = await app.sql<{ d: string | null }>(`select md5(string_agg(p::text, '|' order by p.id)) d from customer_preferences p`);
  return `${await databaseDigest(app)}:${p.d ?? 'none'}`;
}

async function consent(customerId: string, status: 'GRANTED' | 'WITHDRAWN', channel = 'ANY') {
  const res = await app.gql(`mutation($c: ID!, $s: ConsentStatus!, $ch: ConsentChannel) { setConsent(input: { customerId: $c, purpose: PERSONALIZATION, channel: $ch, status: $s, source: "test", policyVersion: "v1" }) { id } }`, { c: customerId, s: status, ch: channel });
  expect(res.errors).toBeUndefined();
}

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('setPreferences', () => {
  it('replaces the stated set per kind, normalised; values kept keep their statedAt; other kinds stay', async () => {
    const c = await makeCustomer(app);
    const first = await app.gql(SET, { c: c.id, input: { categories: ['Books', ' books ', 'Garden  tools'], brands: ['Penguin', 'penguin'], channels: ['EMAIL', 'SMS'], contactFrequency: 'WEEKLY', source: 'preference_centre' } }, { role: Role.CUSTOMER, customerId: c.id });
    expect(first.errors).toBeUndefined();
    const stated = (r: typeof first) => r.data.setPreferences.stated.map((s: { kind: string; value: string }) => `${s.kind}:${s.value}`).sort();
    expect(stated(first)).toEqual(['BRAND:Penguin', 'CATEGORY:books', 'CATEGORY:garden tools', 'CHANNEL:email', 'CHANNEL:sms', 'CONTACT_FREQUENCY:weekly']);
    expect(first.data.setPreferences.stated.every((s: { source: string }) => s.source === 'preference_centre')).toBe(true);
    const booksAt = first.data.setPreferences.stated.find((s: { value: string }) => s.value === 'books').statedAt;

    await new Promise((r) => setTimeout(r, 20));
    const second = await app.gql(SET, { c: c.id, input: { categories: ['books', 'music'], contactFrequency: null } }, { role: Role.SUPPORT });
    expect(second.errors).toBeUndefined();
    expect(stated(second)).toEqual(['BRAND:Penguin', 'CATEGORY:books', 'CATEGORY:music', 'CHANNEL:email', 'CHANNEL:sms']);
    expect(second.data.setPreferences.stated.find((s: { value: string }) => s.value === 'books').statedAt).toBe(booksAt);

    const cleared = await app.gql(SET, { c: c.id, input: { brands: [] } });
    expect(stated(cleared)).toEqual(['CATEGORY:books', 'CATEGORY:music', 'CHANNEL:email', 'CHANNEL:sms']);
    const rows = await app.sql<{ n: string }>('select count(*) n from customer_preferences where customer_id = ?', [fromGlobalId(c.id)!.id]);
    expect(Number(rows[0].n)).toBe(4);
  });

  describe('rejects bad input with a clear code and changes nothing', () => {
    let c: { id: string };
    beforeAll(async () => {
      c = await makeCustomer(app);
      await app.gql(SET, { c: c.id, input: { categories: ['books'] } });
    });

    const cases: Array<[string, () => Record<string, unknown>, number, string, RegExp]> = [
      ['an unknown kind', () => ({ colours: ['red'] }), 400, 'BAD_USER_INPUT', /colours/],
      ['a channel outside the enum', () => ({ channels: ['FAX'] }), 400, 'BAD_USER_INPUT', /FAX/],
      ['a frequency outside the enum', () => ({ contactFrequency: 'HOURLY' }), 400, 'BAD_USER_INPUT', /HOURLY/],
      ['too many values', () => ({ categories: Array.from({ length: 21 }, (_, i) => `cat ${i}`) }), 200, 'BAD_USER_INPUT', /input\.categories takes at most 20/],
      ['a value too long', () => ({ brands: ['x'.repeat(101)] }), 200, 'BAD_USER_INPUT', /input\.brands\[0\] must be at most 100/],
      ['an empty value', () => ({ authors: ['  '] }), 200, 'BAD_USER_INPUT', /input\.authors\[0\] must not be empty/],
      ['a control character', () => ({ authors: ['Ann\u0007'] }), 200, 'BAD_USER_INPUT', /control characters/],
      ['a null list', () => ({ categories: null }), 200, 'BAD_USER_INPUT', /input\.categories must be a list/],
      ['no kind at all', () => ({ source: 'web' }), 200, 'BAD_USER_INPUT', /at least one kind/],
      ['a good kind next to a bad one (all or nothing)', () => ({ categories: ['music'], brands: Array.from({ length: 21 }, (_, i) => `b${i}`) }), 200, 'BAD_USER_INPUT', /input\.brands/],
    ];
    it.each(cases)('%s', async (_name, input, status, code, message) => {
      const before = await digest();
      const res = await app.gql(SET, { c: c.id, input: input() });
      expect(res.status).toBe(status);
      expect(res.errors).toHaveLength(1);
      expect(res.errors![0].extensions?.code).toBe(code);
      expect(res.errors![0].message).toMatch(message);
      expect(res.data ?? null).toBeNull();
      expect(await digest()).toBe(before);
    });

    it('an unknown customer is NOT_FOUND', async () => {
      const before = await digest();
      const res = await app.gql(SET, { c: Buffer.from('Customer:00000000-0000-4000-8000-000000000000').toString('base64url'), input: { categories: ['x'] } });
      expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      expect(await digest()).toBe(before);
    });

    it('a customer setting someone else\'s preferences is FORBIDDEN (NOT_OWNER); roles without the grant are FORBIDDEN (ROLE)', async () => {
      const other = await makeCustomer(app);
      const before = await digest();
      const res = await app.gql(SET, { c: c.id, input: { categories: ['hijacked'] } }, { role: Role.CUSTOMER, customerId: other.id });
      expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([['FORBIDDEN', 'NOT_OWNER']]);
      for (const role of [Role.MARKETING, Role.ANALYST]) {
        const denied = await app.gql(SET, { c: c.id, input: { categories: ['x'] } }, { role });
        expect(denied.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([['FORBIDDEN', 'ROLE']]);
      }
      const anonymous = await app.gql(SET, { c: c.id, input: { categories: ['x'] } }, { role: null });
      expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(await digest()).toBe(before);
    });

    it('the service itself refuses an unknown kind (callers other than GraphQL)', async () => {
      const before = await digest();
      const err = await setPreferences(app.orm.em.fork() as EntityManager, fromGlobalId(c.id)!.id, { sets: { colour: ['red'] } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(/unknown preference kind "colour"/) });
      expect(await digest()).toBe(before);
    });
  });

  it('is deleted by erasure and exported with the customer\'s data', async () => {
    const c = await makeCustomer(app);
    await app.gql(SET, { c: c.id, input: { authors: ['Ursula K. Le Guin'] } });
    const exported = await app.gql(`query($id: ID!) { exportCustomerData(customerId: $id) }`, { id: c.id });
    expect(exported.data.exportCustomerData.preferences).toEqual([expect.objectContaining({ kind: 'author', value: 'Ursula K. Le Guin' })]);
    await app.gql(`mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }`, { c: c.id });
    const rows = await app.sql<{ n: string }>('select count(*) n from customer_preferences where customer_id = ?', [fromGlobalId(c.id)!.id]);
    expect(Number(rows[0].n)).toBe(0);
  });
});

describe('inferred preferences', () => {
  it('reflect kept orders (3 × units) and product views (1), halved every 90 days', async () => {
    const c = await makeCustomer(app);
    const book = await makeProduct(app, { category: 'books', brand: 'Faber' });
    const record = await makeProduct(app, { category: 'music', brand: 'Warp' });
    const spade = await makeProduct(app, { category: 'garden', brand: 'Fiskars' });
    const order = async (placedAt: Date, productId: string, quantity: number, status?: string) => {
      const res = await app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { created } }`, {
        input: { customerId: c.id, placedAt: placedAt.toISOString(), channel: 'WEB', currency: 'EUR', status, lines: [{ productId, quantity }] },
      });
      expect(res.errors).toBeUndefined();
    };
    const view = async (productId: string, at: Date) => {
      const res = await app.gql(`mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate } }`, {
        input: { customerId: c.id, channel: 'WEB', type: 'PRODUCT_VIEW', productId, occurredAt: at.toISOString() },
      });
      expect(res.errors).toBeUndefined();
    };
    const now = new Date();
    await order(now, book.id, 2);
    await order(new Date(now.getTime() - 90 * DAY), record.id, 1);
    await order(now, spade.id, 5, 'CANCELLED');
    await order(now, spade.id, 5, 'RETURNED');
    await view(spade.id, now);
    await view(book.id, now);
    await view(record.id, new Date(now.getTime() - 800 * DAY));

    const denied = await app.gql(READ, { id: c.id });
    expect(denied.errors).toBeUndefined();
    expect(denied.data.customer.preferences.inferred).toEqual({ available: false, unavailableReason: 'NO_PERSONALIZATION_CONSENT', categories: [], brands: [] });
    // A web-only grant is not the general decision the graph needs.
    await consent(c.id, 'GRANTED', 'WEB');
    expect((await app.gql(READ, { id: c.id })).data.customer.preferences.inferred.available).toBe(false);

    await consent(c.id, 'GRANTED');
    const res = await app.gql(READ, { id: c.id });
    expect(res.errors).toBeUndefined();
    const inferred = res.data.customer.preferences.inferred;
    expect(inferred.available).toBe(true);
    expect(inferred.categories.map((x: { value: string }) => x.value)).toEqual(['books', 'music', 'garden']);
    const [books, music, garden] = inferred.categories;
    expect(books).toMatchObject({ basis: 'PURCHASES_AND_VIEWS', purchasedUnits: 2, views: 1 });
    expect(books.score).toBeCloseTo(7, 3);
    // 90 days old: half weight; the 800-day-old view is outside the window.
    expect(music).toMatchObject({ basis: 'PURCHASES', purchasedUnits: 1, views: 0 });
    expect(music.score).toBeCloseTo(1.5, 3);
    // Cancelled and returned orders do not count; the view does.
    expect(garden).toMatchObject({ basis: 'VIEWS', purchasedUnits: 0, views: 1 });
    expect(garden.score).toBeCloseTo(1, 3);
    expect(inferred.brands.map((x: { value: string }) => x.value)).toEqual(['Faber', 'Warp', 'Fiskars']);

    await consent(c.id, 'WITHDRAWN');
    const withdrawn = await app.gql(READ, { id: c.id });
    expect(withdrawn.data.customer.preferences.inferred).toEqual({ available: false, unavailableReason: 'NO_PERSONALIZATION_CONSENT', categories: [], brands: [] });
  });

  it('are read per role as the policy says: stated for support, marketing and the customer; inferred for staff and the customer; neither for partners', async () => {
    const c = await makeCustomer(app);
    await app.gql(SET, { c: c.id, input: { categories: ['books'] } });
    await consent(c.id, 'GRANTED');
    const stated = `query($id: ID!) { customer(id: $id) { preferences { stated { value } } } }`;
    const inferred = `query($id: ID!) { customer(id: $id) { preferences { inferred { available } } } }`;
    const outcome = async (q: string, opts: { role: Role; customerId?: string }) => {
      const res = await app.gql(q, { id: c.id }, opts);
      return res.errors ? `${res.errors[0].extensions?.code}/${res.errors[0].extensions?.reason}` : res.data.customer === null ? 'null' : 'ok';
    };
    const other = await makeCustomer(app);
    const table: Array<[string, { role: Role; customerId?: string }, string, string]> = [
      ['admin', { role: Role.ADMIN }, 'ok', 'ok'],
      ['support', { role: Role.SUPPORT }, 'ok', 'ok'],
      ['marketing', { role: Role.MARKETING }, 'ok', 'ok'],
      ['analyst', { role: Role.ANALYST }, 'FORBIDDEN/ROLE', 'ok'],
      ['customer self', { role: Role.CUSTOMER, customerId: c.id }, 'ok', 'ok'],
      ['another customer', { role: Role.CUSTOMER, customerId: other.id }, 'null', 'null'],
    ];
    const got = [];
    for (const [name, opts] of table) got.push([name, opts, await outcome(stated, opts), await outcome(inferred, opts)]);
    expect(got).toEqual(table);

    await app.gql(`mutation($c: ID!) { setConsent(input: { customerId: $c, purpose: THIRD_PARTY_SHARING, status: GRANTED, source: "test", policyVersion: "v1" }) { id } }`, { c: c.id });
    const key = await app.gql(`mutation { createApiKey(input: { name: "prefs-partner", scopes: ["customers:read", "orders:read", "interactions:read", "feedback:read", "customers:contact"] }) { secret } }`);
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key.data.createApiKey.secret }, body: JSON.stringify({ query: READ, variables: { id: c.id } }) });
    const body = (await res.json()) as { errors: Array<{ path: string[]; extensions: { code: string; reason: string } }> };
    expect(body.errors.map((e) => [e.path.join('.'), e.extensions.code, e.extensions.reason])).toEqual([['customer.preferences', 'FORBIDDEN', 'ROLE']]);
  });
});
