import { startTestApp, type TestApp } from '../helpers/test-server';
import { INGEST, type IngestPayload, type IngestResult } from '../helpers/ingest';
import { makeCustomer, makeProduct, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import type { EntityManager } from '@mikro-orm/postgresql';
import { eventContentHash, ingestEvents, IngestEventKind, type IngestEventData } from '../../src/ingestion/core';
import { defaultPolicy } from '../../src/ingestion/identify';
import { ACTIVITY_RIGHTS, OPERATOR_RIGHTS } from '../../src/ingestion/rules';
import { InteractionChannel, InteractionType, IdentityKind } from '../../src/entities/enums';

/**
 * The batch core (src/ingestion/core.ts) value by value, through ingestEvents on a real database:
 * each check of an event and the field it names, repeats within a batch, what the content digest of a
 * replay compares, new people created together, first/last seen, the IDENTIFY-after-activity cut and
 * customers a caller may not write to. The `ingestion` mutation scope's second light file (a few seconds).
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
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
async function ingest(events: unknown[], role: Role = Role.ADMIN): Promise<Payload> {
  return (await ok<{ ingestEvents: Payload }>(app.gql(INGEST, { events }, { role }))).ingestEvents;
}
const at = '2026-03-01T10:00:00.000Z';
const view = (key: string, identifiers: unknown[] | null, extra: Record<string, unknown> = {}) => ({
  kind: 'INTERACTION', idempotencyKey: key, source: 'web', identifiers, interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW' }, ...extra,
});
const email = (value: string) => ({ kind: 'EMAIL', value });
const brief = (r: Result) => [r.status, r.error?.code ?? null, r.error?.field ?? null, r.error?.reason ?? null];

describe('checks of one event', () => {
  it('names the field of each refusal under the event, and refuses only that event', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const t = uid();
    const product = toGlobalId('Product', uuidOf(p.id));
    const ids21 = Array.from({ length: 21 }, (_, i) => ({ kind: 'DEVICE', value: `d${i}-${t}` }));
    const r = await ingest([
      view(`a-${t}`, [email(c.email!)], { profile: { firstName: 'X' } }),
      view(`b-${t}`, [email(c.email!)], { customerId: c.id }),
      view(`c-${t}`, null),
      view(`d-${t}`, ids21),
      { kind: 'INTERACTION', idempotencyKey: `e-${t}`, source: 'web', customerId: c.id },
      { kind: 'ORDER', idempotencyKey: `f-${t}`, source: 'web', customerId: c.id },
      view(`g-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'PRODUCT_VIEW', productId: product, sku: p.sku } }),
      view(`h-${t}`, null, { customerId: toGlobalId('Product', uuidOf(p.id)) }),
      view(`i-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'PRODUCT_VIEW', productId: c.id } }),
      { kind: 'ORDER', idempotencyKey: `j-${t}`, customerId: c.id, order: { placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ productId: c.id, quantity: 1 }] } },
      { kind: 'ORDER', idempotencyKey: `k-${t}`, customerId: c.id, order: { placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity: 1 }, { sku: p.sku, quantity: 100_001 }] } },
      view(`l-${t}`, null, { customerId: c.id, source: 's'.repeat(65) }),
      view('k'.repeat(129), null, { customerId: c.id }),
      view(`m-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW', sku: 'x'.repeat(65) } }),
      view(`n-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW', campaign: 'x'.repeat(129) } }),
      view(`o-${t}`, [email(c.email!)]),
    ]);
    expect(r.results.map(brief)).toEqual([
      ['REJECTED', 'BAD_USER_INPUT', 'events[0].profile', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[1].identifiers', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[2].customerId', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[3].identifiers', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[4].interaction', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[5].order', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[6].interaction.sku', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[7].customerId', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[8].interaction.productId', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[9].order.lines[0].productId', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[10].order.lines[1].quantity', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[11].source', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[12].idempotencyKey', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[13].interaction.sku', null],
      ['REJECTED', 'BAD_USER_INPUT', 'events[14].interaction.campaign', null],
      ['ACCEPTED', null, null, null],
    ]);
    expect(r.results[0].error!.message).toBe('a INTERACTION event carries no profile');
    expect(r.results[3].error!.message).toBe('an event carries at most 20 identifiers');
    expect(r.results[2].error!.message).toBe('name the customer by customerId or by identifiers');
    // The answer's key is the key as sent, trimmed and cut to 128 characters.
    expect(r.results[12].idempotencyKey).toBe('k'.repeat(128));
    expect([r.acceptedCount, r.duplicateCount, r.rejectedCount]).toEqual([1, 0, 15]);
    // Twenty identifiers are allowed.
    const twenty = await ingest([view(`p-${t}`, ids21.slice(0, 20))]);
    expect(twenty.results[0].status).toBe('ACCEPTED');
  });

  it('names the identity step\'s refusals of an IDENTIFY event as the event\'s input does (profile., identifiers), and upsertCustomer\'s as its own', async () => {
    const t = uid();
    const identify = (key: string, profile: Record<string, unknown>) => ({ kind: 'IDENTIFY', idempotencyKey: `${key}-${t}`, source: 'crm', identifiers: [email(`names.${key}.${t}@example.com`)], profile });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ firstName: 'x'.repeat(201) }, 'firstName'],
      [{ lastName: 'x'.repeat(201) }, 'lastName'],
      [{ birthDate: '2999-01-01' }, 'birthDate'],
      [{ locale: 'not a locale!' }, 'locale'],
      [{ address: { country: 'Germany' } }, 'address.country'],
      [{ address: { postalCode: '1'.repeat(21) } }, 'address.postalCode'],
    ];
    const r = await ingest(cases.map(([profile], i) => identify(`p${i}`, profile)));
    expect(r.results.map(brief)).toEqual(cases.map(([, field], i) => ['REJECTED', 'BAD_USER_INPUT', `events[${i}].profile.${field}`, null]));
    // The same refusals through upsertCustomer name its input's fields, which have no profile level.
    for (const [i, [profile, field]] of cases.entries()) {
      const res = await app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`,
        { input: { identities: [{ kind: 'EMAIL', value: `names.u${i}.${t}@example.com` }], ...profile } });
      expect([res.errors?.[0].extensions?.code, res.errors?.[0].extensions?.field]).toEqual(['BAD_USER_INPUT', field]);
    }
    // Nothing was stored for any of them.
    expect(await app.sql(`select 1 from identities where value like ?`, [`names.%.${t}@example.com`])).toEqual([]);
  });

  it('answers a repeat within the batch as its first occurrence (stored, refused after the checks: under its own index) or a conflict', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const bad = view(`bad-${t}`, [email(c.email!)], { interaction: { occurredAt: '2999-01-01T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } });
    const good = view(` good-${t} `, [email(c.email!)]);
    const r = await ingest([bad, good, bad, { ...good }, { ...good, interaction: { occurredAt: at, channel: 'WEB', type: 'SEARCH' } }]);
    expect(r.results.map(brief)).toEqual([
      ['REJECTED', 'BAD_USER_INPUT', 'events[0].interaction.occurredAt', null],
      ['ACCEPTED', null, null, null],
      // Refused by its own checks before any key is compared: under its own index.
      ['REJECTED', 'BAD_USER_INPUT', 'events[2].interaction.occurredAt', null],
      ['DUPLICATE', null, null, null],
      ['REJECTED', 'CONFLICT', 'events[4].idempotencyKey', null],
    ]);
    expect(r.results[3]).toMatchObject({ idempotencyKey: `good-${t}`, customerId: c.id, interactionId: r.results[1].interactionId });
    expect(r.results[4].error!.message).toBe(`idempotencyKey "good-${t}" is used by event 1 of this batch for a different event`);
    // A repeat of a refused event that was refused after the checks (an unknown sku) is renamed to its index.
    const sku = view(`sku-${t}`, [email(c.email!)], { interaction: { occurredAt: at, channel: 'WEB', type: 'PRODUCT_VIEW', sku: `NONE-${t}` } });
    const s = await ingest([sku, { ...sku }]);
    expect(s.results.map(brief)).toEqual([
      ['REJECTED', 'NOT_FOUND', 'events[0].interaction.sku', null],
      ['REJECTED', 'NOT_FOUND', 'events[1].interaction.sku', null],
    ]);
    expect(s.results[1].error!.message).toBe(`no product has sku "NONE-${t}"`);
  });

  it('compares a replay by what it means: identifiers normalised, sorted and without junk; documents whatever their key order', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const dev = { kind: 'DEVICE', value: `dev-${t}` };
    const first = await ingest([view(`h-${t}`, [email(c.email!), dev], { interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW', properties: { a: [{ y: 1, x: 2 }] } } })]);
    expect(first.results[0].status).toBe('ACCEPTED');
    const same = await ingest([view(`h-${t}`, [dev, email(` ${c.email!.toUpperCase()}`), email('test@test.com')], { interaction: { type: 'PAGE_VIEW', properties: { a: [{ x: 2, y: 1 }] }, channel: 'WEB', occurredAt: at } })]);
    expect(same.results[0]).toMatchObject({ status: 'DUPLICATE', interactionId: first.results[0].interactionId });
    const other = await ingest([view(`h-${t}`, [email(c.email!)], { interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW', properties: { a: [{ y: 1, x: 2 }] } } })]);
    expect(brief(other.results[0])).toEqual(['REJECTED', 'CONFLICT', 'events[0].idempotencyKey', 'KEY_REUSED']);
    // IDENTIFY: the profile compares whatever its key order.
    const p1 = await ingest([{ kind: 'IDENTIFY', idempotencyKey: `i-${t}`, source: 'crm', identifiers: [email(c.email!)], profile: { firstName: 'A', traits: { b: 1, a: 2 } } }]);
    const p2 = await ingest([{ kind: 'IDENTIFY', idempotencyKey: `i-${t}`, source: 'crm', identifiers: [email(c.email!)], profile: { traits: { a: 2, b: 1 }, firstName: 'A' } }]);
    expect([p1.results[0].status, p2.results[0].status]).toEqual(['ACCEPTED', 'DUPLICATE']);
    const p3 = await ingest([{ kind: 'IDENTIFY', idempotencyKey: `i-${t}`, source: 'crm', identifiers: [email(c.email!)], profile: { traits: { a: 2, b: 1 }, firstName: 'B' } }]);
    expect(brief(p3.results[0])).toEqual(['REJECTED', 'CONFLICT', 'events[0].idempotencyKey', 'KEY_REUSED']);
  });
});

describe('checks of a direct caller (the import, tracking): what the GraphQL types do not check', () => {
  const direct = (events: unknown[], rights = OPERATOR_RIGHTS, keyOptional = false) =>
    ingestEvents(app.orm.em.fork() as unknown as EntityManager, events as IngestEventData[], { policy: defaultPolicy(), rights, keyOptional });
  const bad = (message: string, field: string, reason: string | null = null) => ({ code: 'BAD_USER_INPUT', message, field, reason });

  it('refuses an unknown kind, channel or type, a time that is not a Date, a missing payload or key, each with its message, field and a null reason', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const t = uid();
    const when = new Date(at);
    const look = { occurredAt: when, channel: InteractionChannel.WEB, type: InteractionType.PAGE_VIEW };
    const ev = (key: string, extra: Record<string, unknown>) => ({ kind: IngestEventKind.INTERACTION, idempotencyKey: `${key}-${t}`, source: 'web', customerId: c.id, interaction: look, ...extra });
    const out = await direct([
      ev('kind', { kind: 'VISIT' }),
      ev('nokey', { idempotencyKey: undefined }),
      ev('time', { interaction: { ...look, occurredAt: at } }),
      ev('channel', { interaction: { ...look, channel: 'fax' } }),
      ev('type', { interaction: { ...look, type: 'sneeze' } }),
      ev('both', { identifiers: [{ kind: IdentityKind.EMAIL, value: c.email! }] }),
      ev('junk', { customerId: undefined, identifiers: [{ kind: IdentityKind.EMAIL, value: 'test@test.com' }] }),
      ev('none', { interaction: undefined }),
      ev('product', { interaction: { ...look, type: InteractionType.PRODUCT_VIEW, productId: toGlobalId('Product', uuidOf(p.id)), sku: p.sku } }),
      ev('order', { kind: IngestEventKind.ORDER, interaction: undefined }),
      ev('lines', { kind: IngestEventKind.ORDER, interaction: undefined, order: { placedAt: when, channel: InteractionChannel.WEB, currency: 'EUR' } }),
      ev('big', { interaction: { ...look, properties: { x: 'y'.repeat(16_400) } } }),
      // No source: stored as 'api'; the campaign is stored cleaned.
      ev('ok', { source: undefined, interaction: { ...look, campaign: ' spring ' } }),
    ]);
    expect(out.results.map((r) => r.error)).toEqual([
      bad('kind must be IDENTIFY, INTERACTION or ORDER', 'events[0].kind'),
      bad('every event needs an idempotencyKey (unique per source), so that a retry cannot store it twice', 'events[1].idempotencyKey'),
      bad('interaction.occurredAt is required', 'events[2].interaction.occurredAt'),
      bad('interaction.channel is not a known channel', 'events[3].interaction.channel'),
      bad('interaction.type is not a known type', 'events[4].interaction.type'),
      bad('name the customer by customerId or by identifiers, not both', 'events[5].identifiers'),
      bad("every identifier given is a junk value on the merge policy's blocklist", 'events[6].identifiers', 'BLOCKLISTED'),
      bad('an INTERACTION event needs interaction', 'events[7].interaction'),
      bad('name the product by productId or by sku, not both', 'events[8].interaction.sku'),
      bad('an ORDER event needs order', 'events[9].order'),
      bad('an order needs at least one line', 'events[10].order.lines'),
      bad('interaction.properties must be at most 16384 bytes of JSON', 'events[11].interaction.properties'),
      null,
    ]);
    const [row] = await app.sql<{ source: string; campaign: string; key: string }>(
      `select i.source, i.campaign, e.source as key from interactions i join ingest_events e on e.idempotency_key = i.source_event_id where i.id = ?`, [out.results[12].interactionId]);
    expect(row).toEqual({ source: 'api', campaign: 'spring', key: 'api' });
  });

  it('takes 1000 events and refuses 1001 as a whole, naming the limit; a batch refused event by event opens no transaction and reports nothing created', async () => {
    const visit = { kind: 'VISIT', idempotencyKey: 'v', source: 'web' };
    const thousand = await direct(Array.from({ length: 1000 }, () => visit));
    expect(thousand.results).toHaveLength(1000);
    expect(thousand.results.every((r, i) => r.status === 'REJECTED' && r.error?.field === `events[${i}].kind`)).toBe(true);
    expect([thousand.created, thousand.customersCreated, thousand.attempts]).toEqual([[], 0, 0]);
    await expect(direct(Array.from({ length: 1001 }, () => visit))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT', message: 'at most 1000 events per call; split the batch', details: { field: 'events' },
    });
  });

  it('stores the keyless events of a batch (keyOptional) each as its own, never as a repeat or a conflict of another', async () => {
    const c = await makeCustomer(app);
    const ev = (type: InteractionType) => ({ kind: IngestEventKind.INTERACTION, source: 'web', customerId: c.id, interaction: { occurredAt: new Date(at), channel: InteractionChannel.WEB, type } });
    const out = await direct([ev(InteractionType.PAGE_VIEW), ev(InteractionType.PAGE_VIEW), ev(InteractionType.SEARCH)], OPERATOR_RIGHTS, true);
    expect(out.results.map((r) => [r.status, r.idempotencyKey])).toEqual([['ACCEPTED', null], ['ACCEPTED', null], ['ACCEPTED', null]]);
    expect(new Set(out.results.map((r) => r.interactionId)).size).toBe(3);
    // Each answer is a stored row, with no event key.
    const rows = await app.sql<{ id: string; type: string; source_event_id: string | null }>(
      `select id, type, source_event_id from interactions where id = any(?::uuid[]) order by type, id`, [`{${out.results.map((r) => r.interactionId).join(',')}}`]);
    expect(rows.map((r) => [r.type, r.source_event_id])).toEqual([['page_view', null], ['page_view', null], ['search', null]]);
  });

  it('stores two keyless orders without a number in one batch as two orders (no number: never a repeat), and lists what it created for live updates', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app, { priceMinor: 400 });
    const order = { kind: IngestEventKind.ORDER, source: 'shop', customerId: c.id, order: { placedAt: new Date(at), channel: InteractionChannel.WEB, currency: 'EUR', lines: [{ sku: p.sku, quantity: 1 }] } };
    const look = { kind: IngestEventKind.INTERACTION, source: 'shop', customerId: c.id, interaction: { occurredAt: new Date(at), channel: InteractionChannel.WEB, type: InteractionType.PAGE_VIEW } };
    // An order whose number is the text "null", stored before and sent again beside them: a number like any other.
    const numbered = { ...order, idempotencyKey: `null-${uid()}`, order: { ...order.order, externalId: 'null' } };
    expect((await direct([numbered])).results[0].status).toBe('ACCEPTED');
    const out = await direct([order, { ...order }, look, { ...numbered, idempotencyKey: `again-${uid()}` }], OPERATOR_RIGHTS, true);
    expect(out.results.map((r) => [r.status, r.error?.reason ?? null])).toEqual([['ACCEPTED', null], ['ACCEPTED', null], ['ACCEPTED', null], ['DUPLICATE', null]]);
    const [a, b, v] = out.results;
    expect(a.orderId).not.toBe(b.orderId);
    const stored = await app.sql<{ external_id: string | null; total_minor: string }>(
      `select external_id, total_minor::text from orders where id = any(?::uuid[])`, [`{${a.orderId},${b.orderId}}`]);
    expect(stored).toEqual([{ external_id: null, total_minor: '400' }, { external_id: null, total_minor: '400' }]);
    // The rows created, as the resolvers publish them to live subscribers after the commit: orders first.
    expect(out.created).toEqual([
      { kind: 'Order', id: a.orderId, customerId: a.customerId },
      { kind: 'Order', id: b.orderId, customerId: b.customerId },
      { kind: 'Interaction', id: v.interactionId, customerId: v.customerId },
    ]);
    expect(a.customerId).toBe(uuidOf(c.id));
  });

  it('refuses IDENTIFY and linking to a caller without those rights, with the message and field of each', async () => {
    const t = uid();
    const out = await direct([
      { kind: IngestEventKind.IDENTIFY, idempotencyKey: `id-${t}`, source: 'web', identifiers: [{ kind: IdentityKind.EMAIL, value: `r.${t}@example.com` }], profile: {} },
      { kind: IngestEventKind.INTERACTION, idempotencyKey: `ln-${t}`, source: 'web',
        identifiers: [{ kind: IdentityKind.EMAIL, value: `r.${t}@example.com` }, { kind: IdentityKind.DEVICE, value: `d-${t}` }],
        interaction: { occurredAt: new Date(at), channel: InteractionChannel.WEB, type: InteractionType.PAGE_VIEW } },
    ], ACTIVITY_RIGHTS);
    expect(out.results.map((r) => r.error)).toEqual([
      { code: 'FORBIDDEN', field: 'events[0].kind', reason: null,
        message: 'IDENTIFY events create and update profiles: they need the upsertCustomer permission (admin or support) or, for an API key, the profiles:write scope' },
      { code: 'FORBIDDEN', field: 'events[1].identifiers', reason: 'LINKING',
        message: 'name the customer by one identifier or by customerId: linking identifiers to a customer is for admin, support and API keys with profiles:write' },
    ]);
  });

  it('digests an event in one fixed canonical form: the digest of the ledger, which the import fast path writes too and stored rows are compared by', async () => {
    // Identifiers in any order and case, profile keys in any order: one digest, pinned (a change would make
    // every replay of a stored event a KEY_REUSED conflict).
    const e = (identifiers: unknown[], profile: Record<string, unknown>) => ({ kind: IngestEventKind.IDENTIFY, idempotencyKey: 'k', source: 'crm', identifiers, profile } as IngestEventData);
    const opts = { policy: defaultPolicy(), rights: OPERATOR_RIGHTS };
    const a = eventContentHash(e([{ kind: IdentityKind.PHONE, value: '+44 20 7946 0000' }, { kind: IdentityKind.EMAIL, value: 'Digest@Example.com' }, { kind: IdentityKind.DEVICE, value: 'dev' }],
      { lastName: 'L', firstName: 'F', traits: { b: 1, a: [2, { d: 3, c: 4 }] } }), opts);
    const b = eventContentHash(e([{ kind: IdentityKind.DEVICE, value: 'dev' }, { kind: IdentityKind.EMAIL, value: 'digest@example.com' }, { kind: IdentityKind.PHONE, value: '+442079460000' }],
      { traits: { a: [2, { c: 4, d: 3 }], b: 1 }, firstName: 'F', lastName: 'L' }), opts);
    expect(a).toBe(b);
    expect(a).toBe('1fcefgmvkw4n1XkACZ5/sRC5SxgNGK/O0le6WJkNOL0=');
    // The digest the core stores for an event is this one.
    const t = uid();
    const stored = e([{ kind: IdentityKind.EMAIL, value: `digest.${t}@example.com` }, { kind: IdentityKind.DEVICE, value: `dev-${t}` }], { firstName: 'D' });
    stored.idempotencyKey = `dg-${t}`;
    expect((await direct([stored])).results[0].status).toBe('ACCEPTED');
    const [row] = await app.sql<{ content_hash: string }>(`select content_hash from ingest_events where source = 'crm' and idempotency_key = ?`, [`dg-${t}`]);
    expect(row.content_hash).toBe(eventContentHash(stored, opts));
  });
});

describe('replay digests', () => {
  it('tells a list from an object with the same entries', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const props = (properties: Record<string, unknown>) => view(`arr-${t}`, [email(c.email!)], { interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW', properties } });
    expect((await ingest([props({ p: [1, 2] })])).results[0].status).toBe('ACCEPTED');
    expect((await ingest([props({ p: [1, 2] })])).results[0].status).toBe('DUPLICATE');
    expect(brief((await ingest([props({ p: { 0: 1, 1: 2 } })])).results[0])).toEqual(['REJECTED', 'CONFLICT', 'events[0].idempotencyKey', 'KEY_REUSED']);
  });
});

describe('people and customers of a batch', () => {
  it('makes one new person of events that share identifiers, and keeps first/last seen as the earliest and latest activity', async () => {
    const t = uid();
    const [x, y, z] = [`x.${t}@example.com`, `y.${t}@example.com`, `z.${t}@example.com`];
    const dev = { kind: 'DEVICE', value: `dev-${t}` };
    const before = Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n);
    const r = await ingest([
      view(`1-${t}`, [email(x)], { interaction: { occurredAt: '2026-02-10T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }),
      view(`2-${t}`, [email(y)], { interaction: { occurredAt: '2026-02-01T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }),
      view(`3-${t}`, [dev, email(z)], { interaction: { occurredAt: '2026-02-20T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }),
      view(`4-${t}`, [email(x), dev], { interaction: { occurredAt: '2026-02-05T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }),
    ]);
    expect(r.results.map((q) => q.status)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    const ids = r.results.map((q) => q.customerId);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[0]).toBe(ids[3]);
    expect(ids[1]).not.toBe(ids[0]);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n)).toBe(before + 2);
    const identities = await app.sql<{ kind: string; value: string; source: string }>(`select kind, value, source from identities where customer_id = ? order by kind, value`, [uuidOf(ids[0]!)]);
    expect(identities).toEqual([{ kind: 'device', value: `dev-${t}`, source: 'web' }, { kind: 'email', value: x, source: 'web' }, { kind: 'email', value: z, source: 'web' }]);
    const seen = await app.sql<{ f: string; l: string }>(`select to_char(first_seen_at at time zone 'UTC', 'YYYY-MM-DD') f, to_char(last_seen_at at time zone 'UTC', 'YYYY-MM-DD') l from customers where id = ?`, [uuidOf(ids[0]!)]);
    expect(seen[0].f).toBe('2026-02-05');
    // A known customer: an order earlier than all else lowers first seen, activity later raises last seen.
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const order = (key: string, placedAt: string) => ({ kind: 'ORDER', idempotencyKey: key, customerId: c.id, order: { placedAt, channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity: 1 }] } });
    await app.sql(`update customers set first_seen_at = '2026-01-15T00:00:00Z', last_seen_at = '2026-01-20T00:00:00Z' where id = ?`, [uuidOf(c.id)]);
    const k = await ingest([
      order(`o1-${t}`, '2026-01-17T00:00:00Z'), order(`o2-${t}`, '2026-01-10T00:00:00Z'), order(`o3-${t}`, '2026-01-12T00:00:00Z'),
      view(`v1-${t}`, null, { customerId: c.id, interaction: { occurredAt: '2026-01-25T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }),
      view(`v2-${t}`, null, { customerId: c.id, interaction: { occurredAt: '2026-01-22T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }),
    ]);
    expect(k.acceptedCount).toBe(5);
    const known = await app.sql<{ f: string; l: string }>(`select to_char(first_seen_at at time zone 'UTC', 'YYYY-MM-DD') f, to_char(last_seen_at at time zone 'UTC', 'YYYY-MM-DD') l from customers where id = ?`, [uuidOf(c.id)]);
    expect(known[0]).toEqual({ f: '2026-01-10', l: '2026-01-25' });
    // Stored under the event key as order number, priced, with the lines in order.
    const [stored] = await app.sql<{ external_id: string; total_minor: string; n: string }>(
      `select o.external_id, o.total_minor::text, (select count(*) from order_lines l where l.order_id = o.id)::text n from orders o where o.id = ?`, [uuidOf(k.results[0].orderId!)]);
    expect(stored).toEqual({ external_id: `o1-${t}`, total_minor: '1250', n: '1' });
  });

  it('stores an order\'s lines at positions 1, 2, … in the order sent (Order.lines[].position)', async () => {
    const c = await makeCustomer(app);
    const [p1, p2] = [await makeProduct(app, { priceMinor: 100 }), await makeProduct(app, { priceMinor: 300 })];
    const t = uid();
    const r = await ingest([{ kind: 'ORDER', idempotencyKey: `pos-${t}`, customerId: c.id,
      order: { placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: p2.sku, quantity: 2 }, { productId: p1.id, quantity: 5 }] } }]);
    expect(r.results[0].status).toBe('ACCEPTED');
    const lines = await app.sql<{ position: number; sku: string; quantity: number; line_total_minor: string }>(
      `select l.position, p.sku, l.quantity, l.line_total_minor::text from order_lines l join products p on p.id = l.product_id where l.order_id = ? order by l.position`, [uuidOf(r.results[0].orderId!)]);
    expect(lines).toEqual([
      { position: 1, sku: p2.sku, quantity: 2, line_total_minor: '600' },
      { position: 2, sku: p1.sku, quantity: 5, line_total_minor: '500' },
    ]);
  });

  it('takes an IDENTIFY after activity naming the same person in request order, as if sent one by one', async () => {
    const t = uid();
    const x = `seg.${t}@example.com`;
    const dev = { kind: 'DEVICE', value: `segdev-${t}` };
    const r = await ingest([
      view(`a-${t}`, [email(x), dev]),
      { kind: 'IDENTIFY', idempotencyKey: `b-${t}`, source: 'crm', identifiers: [dev], profile: { firstName: 'Seg' } },
    ]);
    expect(r.results.map((q) => q.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    // Without the cut, the IDENTIFY would create a profile for the device first and the view a second one.
    expect(r.results[1].customerId).toBe(r.results[0].customerId);
    const [row] = await app.sql<{ first_name: string; n: string }>(`select first_name, (select count(*) from identities i where i.customer_id = c.id)::text n from customers c where id = ?`, [uuidOf(r.results[0].customerId!)]);
    expect(row).toEqual({ first_name: 'Seg', n: '2' });
  });

  it('cuts the batch at an IDENTIFY naming by id a customer earlier activity named by id: that activity answers the profile as it was', async () => {
    const older = await makeCustomer(app);
    const newer = await makeCustomer(app);
    const t = uid();
    const r = await ingest([
      view(`v-${t}`, null, { customerId: newer.id }),
      // Links the newer profile to the older one's email: the newer is merged into the older.
      { kind: 'IDENTIFY', idempotencyKey: `m-${t}`, source: 'crm', customerId: newer.id, identifiers: [email(older.email!)], profile: {} },
    ]);
    expect(r.results.map((q) => q.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    // One by one, the view is stored for the newer profile before the merge; the IDENTIFY answers the survivor.
    expect([r.results[0].customerId, r.results[1].customerId]).toEqual([newer.id, older.id]);
  });

  it('applies the identity limit in request order across the cut: the later IDENTIFY is the write refused', async () => {
    const t = uid();
    const x = email(`cut.${t}@example.com`);
    const r = await ingest([
      view(`a-${t}`, [x, { kind: 'CRM_ID', namespace: 'sf', value: `A-${t}` }]),
      { kind: 'IDENTIFY', idempotencyKey: `b-${t}`, source: 'crm', identifiers: [x, { kind: 'CRM_ID', namespace: 'sf', value: `B-${t}` }], profile: { firstName: 'Cut' } },
    ]);
    // One by one, the view creates the person with CRM id A; the IDENTIFY would add a second CRM id (limit 1).
    // The field is named as the event's input names it (`identifiers`, not upsertCustomer's `identities`).
    expect(r.results.map((q) => [q.index, q.status, q.error?.code ?? null, q.error?.field ?? null, q.error?.reason ?? null])).toEqual([
      [0, 'ACCEPTED', null, null, null], [1, 'REJECTED', 'CONFLICT', 'events[1].identifiers', 'IDENTITY_LIMIT']]);
    const crm = await app.sql<{ value: string }>(`select value from identities where kind = 'crm_id' and namespace = 'sf' and value like ?`, [`%-${t}`]);
    expect(crm.map((c) => c.value)).toEqual([`A-${t}`]);
  });

  it('counts the customers it created for adapters that report them (the import summary): new people in bulk, through upsertCustomer, by IDENTIFY, in each part of a cut batch', async () => {
    const t = uid();
    const c = await makeCustomer(app);
    const [x, y, z, w] = [`cx.${t}@example.com`, `cy.${t}@example.com`, `cz.${t}@example.com`, `cw.${t}@example.com`];
    const id = (kind: IdentityKind, value: string, namespace?: string) => ({ kind, value, ...(namespace ? { namespace } : {}) });
    const seen = (key: string, identifiers: Array<ReturnType<typeof id>>): IngestEventData => ({
      kind: IngestEventKind.INTERACTION, idempotencyKey: key, source: 'web', identifiers,
      interaction: { occurredAt: new Date(at), channel: InteractionChannel.WEB, type: InteractionType.PAGE_VIEW },
    });
    const identify = (key: string, value: string): IngestEventData => ({ kind: IngestEventKind.IDENTIFY, idempotencyKey: key, source: 'crm', identifiers: [id(IdentityKind.EMAIL, value)], profile: {} });
    const before = Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n);
    const out = await ingestEvents(app.orm.em.fork() as unknown as EntityManager, [
      // Two CRM ids for one new person (limit 1): upsertCustomer per event creates it, then refuses the second.
      seen(`0-${t}`, [id(IdentityKind.EMAIL, x), id(IdentityKind.CRM_ID, `A-${t}`, 'sf')]),
      seen(`1-${t}`, [id(IdentityKind.EMAIL, x), id(IdentityKind.CRM_ID, `B-${t}`, 'sf')]),
      // The same person again, on that path: found, not created.
      seen(`1b-${t}`, [id(IdentityKind.EMAIL, x)]),
      // A new person in bulk, seen twice.
      seen(`2-${t}`, [id(IdentityKind.EMAIL, y)]),
      seen(`3-${t}`, [id(IdentityKind.EMAIL, y), id(IdentityKind.DEVICE, `d-${t}`)]),
      identify(`4-${t}`, z),
      seen(`5-${t}`, [id(IdentityKind.EMAIL, c.email!)]),
      identify(`6-${t}`, c.email!),
      // After activity naming y: the batch is cut here; the second part creates one more person in bulk.
      identify(`7-${t}`, y),
      seen(`8-${t}`, [id(IdentityKind.EMAIL, w)]),
    ], { policy: defaultPolicy(), rights: OPERATOR_RIGHTS });
    expect(out.results.map((r) => [r.status, r.error?.reason ?? null])).toEqual([
      ['ACCEPTED', null], ['REJECTED', 'IDENTITY_LIMIT'], ['ACCEPTED', null], ['ACCEPTED', null], ['ACCEPTED', null], ['ACCEPTED', null],
      ['ACCEPTED', null], ['ACCEPTED', null], ['ACCEPTED', null], ['ACCEPTED', null],
    ]);
    expect(out.results[2].customerId).toBe(out.results[0].customerId);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n)).toBe(before + 4);
    expect(out.customersCreated).toBe(4);
    expect(out.attempts).toBe(1);
  });

  it('writes the events that need the per-event path in request order, whichever reason sent them there', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const y = email(`order.${t}@example.com`);
    const crm = (v: string) => ({ kind: 'CRM_ID', namespace: 'ord', value: `${v}-${t}` });
    const before = Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n);
    const r = await ingest([
      // A new person with two CRM ids (limit 1): per event, the first creates the person, the second is refused.
      view(`0-${t}`, [y, crm('A')]),
      view(`1-${t}`, [y, crm('B')]),
      // A known customer's email beside y: per event, after the two above (y then belongs to the new person).
      view(`2-${t}`, [email(c.email!), y]),
    ]);
    expect(r.results.map((q) => [q.status, q.error?.reason ?? null])).toEqual([['ACCEPTED', null], ['REJECTED', 'IDENTITY_LIMIT'], ['ACCEPTED', null]]);
    // The first event created a person of its own (out of order, y would already have been linked to c
    // and no one created); the third then merged that person into c, which the activity answers.
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n)).toBe(before + 1);
    expect(r.results.map((q) => q.customerId)).toEqual([c.id, null, c.id]);
    const ids = await app.sql<{ kind: string; value: string }>(`select kind, value from identities where customer_id = ? order by kind, value`, [uuidOf(c.id)]);
    expect(ids).toEqual([{ kind: 'crm_id', value: `A-${t}` }, { kind: 'email', value: c.email }, { kind: 'email', value: y.value }].sort((a, b) => (a.kind + a.value < b.kind + b.value ? -1 : 1)));
  });

  it('links a new identifier to the known customer an earlier event pairs it with, as one by one, instead of creating a person for a later event carrying it alone', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const dev = { kind: 'DEVICE', value: `link-${t}` };
    const before = Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n);
    // One by one: the first links the device to c, the second finds c by the device. (A person created for the
    // second first would make the first a device-only merge, which MERGE_POLICY refuses.)
    const r = await ingest([view(`a-${t}`, [email(c.email!), dev]), view(`b-${t}`, [dev])]);
    expect(r.results.map(brief)).toEqual([['ACCEPTED', null, null, null], ['ACCEPTED', null, null, null]]);
    expect(r.results.map((q) => q.customerId)).toEqual([c.id, c.id]);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from customers`))[0].n)).toBe(before);
    const [row] = await app.sql<{ customer_id: string }>(`select customer_id from identities where kind = 'device' and value = ?`, [dev.value]);
    expect(row.customer_id).toBe(uuidOf(c.id));
  });

  it('records a new identifier under the source of the first event that carried it', async () => {
    const t = uid();
    const x = email(`first.src.${t}@example.com`);
    const r = await ingest([view(`s1-${t}`, [x], { source: 'shop' }), view(`s2-${t}`, [x], { source: 'app' })]);
    expect(r.results.map((q) => q.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const [row] = await app.sql<{ source: string }>(`select source from identities where value = ?`, [x.value]);
    expect(row.source).toBe('shop');
  });

  it('refuses only the interaction naming a product id that does not exist', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const t = uid();
    const r = await ingest([
      view(`np-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'PRODUCT_VIEW', productId: toGlobalId('Product', '00000000-0000-4000-8000-00000000beef') } }),
      view(`ok-${t}`, null, { customerId: c.id }),
      view(`pv-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'PRODUCT_VIEW', productId: p.id } }),
    ]);
    expect(r.results.map(brief)).toEqual([['REJECTED', 'NOT_FOUND', 'events[0].interaction.productId', null], ['ACCEPTED', null, null, null], ['ACCEPTED', null, null, null]]);
    expect(r.results[0].error!.message).toBe('product not found');
    // A product named by an id that exists is stored on the row.
    const [row] = await app.sql<{ product_id: string }>(`select product_id from interactions where id = ?`, [uuidOf(r.results[2].interactionId!)]);
    expect(row.product_id).toBe(uuidOf(p.id));
  });

  it('refuses an IDENTIFY naming a customer id that does not exist, creating no one', async () => {
    const t = uid();
    const x = `ghost.${t}@example.com`;
    const r = await ingest([{ kind: 'IDENTIFY', idempotencyKey: `g-${t}`, customerId: toGlobalId('Customer', '00000000-0000-4000-8000-00000000dead'), identifiers: [email(x)], profile: { firstName: 'Ghost' } }]);
    expect(brief(r.results[0])).toEqual(['REJECTED', 'NOT_FOUND', 'events[0].customerId', null]);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from identities where value = ?`, [x]))[0].n)).toBe(0);
  });

  it('refuses a new person whose identifiers include one of an erased customer, even beside fresh ones, and creates no one', async () => {
    const gone = await makeCustomer(app, { email: `gone.${uid()}@example.com` });
    await ok(app.gql('mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }', { c: gone.id }));
    const t = uid();
    const device = `dev-sup-${t}`;
    // The suppressed email second, beside a fresh device id: the bulk path for new people must not take it.
    const r = await ingest([view(`sup-${t}`, [{ kind: 'DEVICE', value: device }, email(gone.email!)])]);
    expect(brief(r.results[0])).toEqual(['REJECTED', 'CONFLICT', 'events[0].identifiers', 'SUPPRESSED']);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from identities where value = ?`, [device]))[0].n)).toBe(0);
  });

  it('creates a new person in bulk holding exactly the identity limit, and refuses one more', async () => {
    const t = uid();
    const crm = (v: string) => ({ kind: 'CRM_ID', namespace: 'lim', value: `${v}-${t}` });
    // CRM_ID's default limit is 1: one CRM id is at the limit (stored); two on one new person are over it.
    const r = await ingest([view(`at-${t}`, [email(`at.${t}@example.com`), crm('A')]), view(`over-${t}`, [email(`over.${t}@example.com`), crm('B'), crm('C')])]);
    expect(r.results.map((q) => [q.status, q.error?.reason ?? null])).toEqual([['ACCEPTED', null], ['REJECTED', 'IDENTITY_LIMIT']]);
    const stored = await app.sql<{ value: string }>(`select value from identities where kind = 'crm_id' and namespace = 'lim' and value like ? order by value`, [`%-${t}`]);
    expect(stored.map((c) => c.value)).toEqual([`A-${t}`]);
  });

  it('refuses, as not found, activity for an erased customer named by id', async () => {
    const c = await makeCustomer(app);
    await ok(app.gql('mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }', { c: c.id }));
    const t = uid();
    const r = await ingest([view(`erased-${t}`, null, { customerId: c.id })]);
    expect(brief(r.results[0])).toEqual(['REJECTED', 'NOT_FOUND', 'events[0].customerId', null]);
    expect(r.results[0].error!.message).toBe('customer not found');
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from interactions where customer_id = ?`, [uuidOf(c.id)]))[0].n)).toBe(0);
  });

  it('refuses, as not found, activity for a customer the caller may not write to', async () => {
    const c = await makeCustomer(app);
    const key = (await ok(app.gql(`mutation { createApiKey(input: { name: "batch-partner-${uid()}", scopes: ["events:write"] }) { secret } }`))).createApiKey.secret as string;
    const t = uid();
    const res = await fetch(app.url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: INGEST, variables: { events: [view(`w-${t}`, null, { customerId: c.id })] } }),
    });
    const body = (await res.json()) as { data: { ingestEvents: Payload } };
    expect(brief(body.data.ingestEvents.results[0])).toEqual(['REJECTED', 'NOT_FOUND', 'events[0].customerId', null]);
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from interactions where source_event_id = ?`, [`w-${t}`]))[0].n)).toBe(0);
    // The same event from an admin is stored.
    expect((await ingest([view(`w-${t}`, null, { customerId: c.id })])).results[0].status).toBe('ACCEPTED');
    // An erased customer named by id is not found for the partner either; the rest of its batch is stored.
    const gone = await makeCustomer(app);
    await ok(app.gql('mutation($c: ID!) { eraseCustomer(customerId: $c) { identifiersSuppressed } }', { c: gone.id }));
    const mixed = await fetch(app.url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: INGEST, variables: { events: [view(`g-${t}`, null, { customerId: gone.id }), view(`w2-${t}`, null, { customerId: c.id })] } }),
    });
    const answer = (await mixed.json()) as { data: { ingestEvents: Payload } | null; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.ingestEvents.results.map(brief)).toEqual([['REJECTED', 'NOT_FOUND', 'events[0].customerId', null], ['REJECTED', 'NOT_FOUND', 'events[1].customerId', null]]);
  });
});

describe('the idempotency ledger', () => {
  it('writes the ledger row of a view of a known customer once, in its claim; other events get their result written after', async () => {
    // A row trigger of this file's database records every rewrite of a ledger row.
    await app.sql(`create table if not exists probe_ledger_updates (key text not null, result jsonb)`);
    await app.sql(`create or replace function probe_ledger_update() returns trigger language plpgsql as $$
      begin insert into probe_ledger_updates values (new.idempotency_key, new.result); return new; end $$`);
    await app.sql(`drop trigger if exists probe_ledger_update on ingest_events`);
    await app.sql(`create trigger probe_ledger_update after update on ingest_events for each row execute function probe_ledger_update()`);
    try {
      const c = await makeCustomer(app);
      const p = await makeProduct(app);
      const t = uid();
      const r = await ingest([
        view(`byid-${t}`, [email(c.email!)]),
        view(`id-${t}`, null, { customerId: c.id }),
        { kind: 'ORDER', idempotencyKey: `ord-${t}`, customerId: c.id, order: { placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity: 1 }] } },
        view(`new-${t}`, [email(`ledger.${t}@example.com`)]),
        { kind: 'IDENTIFY', idempotencyKey: `idf-${t}`, identifiers: [email(c.email!)], profile: { locale: 'de-DE' } },
      ]);
      expect(r.results.map((q) => q.status)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
      const rewritten = await app.sql<{ key: string }>(`select key from probe_ledger_updates where key like ? order by key`, [`%-${t}`]);
      expect(rewritten.map((x) => x.key)).toEqual([`idf-${t}`, `new-${t}`, `ord-${t}`]);
      // Every row holds what was stored, whichever way it got there.
      const ledger = await app.sql<{ idempotency_key: string; customer_id: string; result: Record<string, unknown> }>(
        `select idempotency_key, customer_id, result from ingest_events where idempotency_key like ? order by idempotency_key`, [`%-${t}`]);
      const db = (id: string | null) => (id ? uuidOf(id) : null);
      expect(ledger).toEqual([
        { idempotency_key: `byid-${t}`, customer_id: uuidOf(c.id), result: { status: 'ACCEPTED', customerId: uuidOf(c.id), interactionId: db(r.results[0].interactionId), orderId: null } },
        { idempotency_key: `id-${t}`, customer_id: uuidOf(c.id), result: { status: 'ACCEPTED', customerId: uuidOf(c.id), interactionId: db(r.results[1].interactionId), orderId: null } },
        { idempotency_key: `idf-${t}`, customer_id: uuidOf(c.id), result: { status: 'ACCEPTED', customerId: uuidOf(c.id), interactionId: null, orderId: null } },
        { idempotency_key: `new-${t}`, customer_id: uuidOf(r.results[3].customerId!), result: { status: 'ACCEPTED', customerId: uuidOf(r.results[3].customerId!), interactionId: db(r.results[3].interactionId), orderId: null } },
        { idempotency_key: `ord-${t}`, customer_id: uuidOf(c.id), result: { status: 'ACCEPTED', customerId: uuidOf(c.id), interactionId: null, orderId: db(r.results[2].orderId) } },
      ]);
      // A replay of all of them rewrites nothing and answers the stored results.
      const again = await ingest([
        view(`byid-${t}`, [email(c.email!)]), view(`id-${t}`, null, { customerId: c.id }),
      ]);
      expect(again.results.map((q) => [q.status, q.interactionId])).toEqual([['DUPLICATE', r.results[0].interactionId], ['DUPLICATE', r.results[1].interactionId]]);
      expect((await app.sql(`select key from probe_ledger_updates where key like ?`, [`%-${t}`])).length).toBe(3);
    } finally {
      await app.sql(`drop trigger if exists probe_ledger_update on ingest_events`);
    }
  });
});

describe('rows stored before, by the core or by another writer', () => {
  it('compares an interaction with the one another writer stored under its key (campaign holdouts, offer responses: no ledger row): the same is a DUPLICATE, other content a KEY_REUSED conflict', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    // Stored as those writers store them: a row whose claim trigger took the key, and no ingest_events row.
    const held = async (key: string) => (await app.sql<{ id: string }>(
      `insert into interactions (id, customer_id, occurred_at, channel, type, properties, source, source_event_id)
       values (gen_random_uuid(), ?, ?, 'web', 'page_view', '{}'::jsonb, 'web', ?) returning id`, [uuidOf(c.id), at, key]))[0].id;
    const same = await held(`same-${t}`);
    await held(`diff-${t}`);
    const r = await ingest([
      view(`same-${t}`, null, { customerId: c.id }),
      view(`diff-${t}`, null, { customerId: c.id, interaction: { occurredAt: at, channel: 'WEB', type: 'SEARCH' } }),
      view(`fresh-${t}`, null, { customerId: c.id }),
    ]);
    expect(r.results.map(brief)).toEqual([['DUPLICATE', null, null, null], ['REJECTED', 'CONFLICT', 'events[1].idempotencyKey', 'KEY_REUSED'], ['ACCEPTED', null, null, null]]);
    expect(r.results[0]).toMatchObject({ customerId: c.id, interactionId: toGlobalId('Interaction', same) });
    expect(r.results[1].error!.message).toBe(`an interaction with sourceEventId "diff-${t}" of source "web" was already recorded with different content`);
    expect([r.acceptedCount, r.duplicateCount, r.rejectedCount]).toEqual([1, 1, 1]);
    // Nothing stored twice, the held rows unchanged, the new one stored.
    const rows = await app.sql<{ key: string; type: string }>(`select source_event_id as key, type from interactions where customer_id = ? order by source_event_id`, [uuidOf(c.id)]);
    expect(rows).toEqual([{ key: `diff-${t}`, type: 'page_view' }, { key: `fresh-${t}`, type: 'page_view' }, { key: `same-${t}`, type: 'page_view' }]);
    // A batch whose every interaction is held stores nothing; a later keyed write in a new batch is stored as usual.
    const only = await held(`only-${t}`);
    const again = await ingest([view(`only-${t}`, null, { customerId: c.id })]);
    expect([brief(again.results[0]), again.results[0].interactionId]).toEqual([['DUPLICATE', null, null, null], toGlobalId('Interaction', only)]);
    expect((await ingest([view(`after-${t}`, null, { customerId: c.id })])).results[0].status).toBe('ACCEPTED');
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from interactions where customer_id = ?`, [uuidOf(c.id)]))[0].n)).toBe(5);
  });

  it('leaves first and last seen alone for an interaction another writer already stored under its key (a DUPLICATE writes nothing)', async () => {
    const c = await makeCustomer(app);
    const t = uid();
    const old = '2020-01-01T00:00:00.000Z';
    await app.sql(`insert into interactions (id, customer_id, occurred_at, channel, type, properties, source, source_event_id)
                   values (gen_random_uuid(), ?, ?, 'web', 'page_view', '{}'::jsonb, 'web', ?)`, [uuidOf(c.id), old, `held-${t}`]);
    const seen = () => app.sql<{ first: string; last: string }>(`select first_seen_at::text as first, last_seen_at::text as last from customers where id = ?`, [uuidOf(c.id)]);
    const before = await seen();
    const r = await ingest([view(`held-${t}`, null, { customerId: c.id, interaction: { occurredAt: old, channel: 'WEB', type: 'PAGE_VIEW' } })]);
    expect(brief(r.results[0])).toEqual(['DUPLICATE', null, null, null]);
    expect(await seen()).toEqual(before);
    expect(before[0].first).not.toMatch(/^2020-01-01/);
  });

  it('stores an order\'s checkout code as its offer and campaign, or as a campaign alone, and refuses an unknown code', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const t = uid();
    const campaign = (await ok(app.gql(`mutation { createCampaign(input: { code: "CMP-${t}", name: "c", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z" }) { id } }`))).createCampaign.id as string;
    const offer = (await ok(app.gql(`mutation($c: ID!) { createOffer(input: { code: "OFF-${t}", name: "o", campaignId: $c, valueMinor: 500, currency: "EUR", channels: [EMAIL], startsAt: "2026-01-01T00:00:00Z", status: ACTIVE }) { id } }`, { c: campaign }))).createOffer.id as string;
    const order = (key: string, promoCode?: string) => ({ kind: 'ORDER', idempotencyKey: key, source: 'shop', customerId: c.id,
      order: { placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity: 1 }], ...(promoCode ? { promoCode } : {}) } });
    const r = await ingest([order(`off-${t}`, `OFF-${t}`), order(`cmp-${t}`, `CMP-${t}`), order(`none-${t}`, `NONE-${t}`), order(`plain-${t}`)]);
    expect(r.results.map(brief)).toEqual([['ACCEPTED', null, null, null], ['ACCEPTED', null, null, null], ['REJECTED', 'BAD_USER_INPUT', 'events[2].order.promoCode', null], ['ACCEPTED', null, null, null]]);
    expect(r.results[2].error!.message).toBe(`promoCode "NONE-${t}" names no offer or campaign`);
    const rows = await app.sql<{ external_id: string; offer_id: string | null; campaign_id: string | null }>(
      `select external_id, offer_id, campaign_id from orders where customer_id = ? order by external_id`, [uuidOf(c.id)]);
    expect(rows).toEqual([
      { external_id: `cmp-${t}`, offer_id: null, campaign_id: uuidOf(campaign) },
      { external_id: `off-${t}`, offer_id: uuidOf(offer), campaign_id: uuidOf(campaign) },
      { external_id: `plain-${t}`, offer_id: null, campaign_id: null },
    ]);
  });

  it('refuses an order number twice in a batch, and an order number stored before with other content, naming each', async () => {
    const c = await makeCustomer(app);
    const p = await makeProduct(app);
    const t = uid();
    const order = (key: string, number: string, quantity = 1) => ({ kind: 'ORDER', idempotencyKey: key, source: 'shop', customerId: c.id,
      order: { externalId: number, placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity }] } });
    const first = await ingest([order(`a-${t}`, `N-${t}`), order(`b-${t}`, `N-${t}`)]);
    expect(first.results.map(brief)).toEqual([['ACCEPTED', null, null, null], ['REJECTED', 'CONFLICT', 'events[1].order.externalId', 'ORDER_NUMBER_REPEATED']]);
    expect(first.results[1].error!.message).toBe(`order shop/N-${t} appears twice in this batch`);
    // Under other event keys: the same order is a DUPLICATE of the stored one, other content a conflict.
    const same = await ingest([order(`c-${t}`, `N-${t}`)]);
    expect([brief(same.results[0]), same.results[0].orderId]).toEqual([['DUPLICATE', null, null, null], first.results[0].orderId]);
    const other = await ingest([order(`d-${t}`, `N-${t}`, 2)]);
    expect(brief(other.results[0])).toEqual(['REJECTED', 'CONFLICT', 'events[0].order.externalId', 'ORDER_EXISTS']);
    expect(other.results[0].error!.message).toBe(`order shop/N-${t} was already recorded with different content`);
    // A single write names the stored order.
    const res = await app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { created } }`, {
      input: { customerId: c.id, source: 'shop', externalId: `N-${t}`, placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: p.sku, quantity: 3 }] } });
    expect((res.errors as Array<{ extensions: Record<string, unknown> }>)[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'externalId', reason: 'ORDER_EXISTS', orderId: first.results[0].orderId });
    expect(Number((await app.sql<{ n: string }>(`select count(*) n from orders where customer_id = ?`, [uuidOf(c.id)]))[0].n)).toBe(1);
  });

  it('audits the customers a batch wrote, not those of its replays', async () => {
    const [a, b] = [await makeCustomer(app), await makeCustomer(app)];
    const t = uid();
    await ingest([view(`a-${t}`, null, { customerId: a.id })]);
    const audited = async (c: { id: string }) => Number((await app.sql<{ n: string }>(
      `select count(*) n from audit_log where operation = 'ingestEvents' and (customer_id = ? or ? = any(customer_ids))`, [uuidOf(c.id), uuidOf(c.id)]))[0].n);
    expect([await audited(a), await audited(b)]).toEqual([1, 0]);
    const r = await ingest([view(`a-${t}`, null, { customerId: a.id }), view(`b-${t}`, null, { customerId: b.id })]);
    expect(r.results.map((q) => q.status)).toEqual(['DUPLICATE', 'ACCEPTED']);
    expect([await audited(a), await audited(b)]).toEqual([1, 1]);
  });
});
