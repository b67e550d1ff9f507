import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-server';
import { ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { Scope } from '../../src/auth/policy';
import { loadConfig } from '../../src/config';
import { createServer, type RapportServer } from '../../src/server';
import { createLogger } from '../../src/logger';

/**
 * The own-contact rule (tests/authz/own-contact.test.ts, README "Own address only") on every path that
 * hands marketing or a partner key a Customer: lists with other statuses, by id and node/nodes, a
 * segment's customers, members and entrants, the timeline, customerByIdentifier, a write's payload and
 * Federation's `_entities`; with the read planner off and on, and after a rotation of PSEUDONYM_KEYS (an
 * address suppressed under the older key is still refused). The addresses are stated in another case
 * and format than the holder's identifiers (both are stored normalised). None of these answers may
 * hold the other person's address; support still sees it as stated.
 */

let app: TestApp;
const servers = new Map<string, { server: RapportServer; url: string }>();
let partnerKey: string;
let segmentId = '';
const people: Record<string, string> = {};
const HOLDER_EMAIL = 'holder.paths@example.com';
const HOLDER_PHONE = '+442079460555';
const GONE_EMAIL = 'gone.paths@example.com';
const OLD_KEY = 'own-contact-paths-old-key-0123456789abcdefghij';
const NEW_KEY = 'own-contact-paths-new-key-0123456789abcdefghij';

type Res = { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }> }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function post(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}): Promise<Res> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as Res;
}

beforeAll(async () => {
  app = await startTestApp({ PSEUDONYM_KEYS: OLD_KEY });
  const upsert = (input: Record<string, unknown>, opts = {}) =>
    ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input }, opts));
  // The holder grants nothing: any of their addresses in a marketing or partner answer is a leak.
  people.holder = (await upsert({ firstName: 'holder', email: HOLDER_EMAIL, phone: HOLDER_PHONE })).upsertCustomer.customer.id;
  people.gone = (await upsert({ firstName: 'gone', email: GONE_EMAIL })).upsertCustomer.customer.id;
  people.usesHolders = (await upsert({ firstName: 'usesHolders', identities: [{ kind: 'CRM_ID', namespace: 'crm', value: 'paths-uses-holders' }] })).upsertCustomer.customer.id;
  people.usesGones = (await upsert({ firstName: 'usesGones', identities: [{ kind: 'CRM_ID', namespace: 'crm', value: 'paths-uses-gones' }] })).upsertCustomer.customer.id;
  // Stated by the customers themselves, in another case and format.
  await upsert({ id: people.usesHolders, email: HOLDER_EMAIL.toUpperCase(), phone: '+44 20 7946 0555' }, { role: Role.CUSTOMER, customerId: people.usesHolders });
  await upsert({ id: people.usesGones, email: ` ${GONE_EMAIL} ` }, { role: Role.CUSTOMER, customerId: people.usesGones });
  segmentId = (await ok<{ createSegment: { id: string } }>(app.gql(`mutation { createSegment(input: { name: "own-contact-paths", rule: { consent: { purpose: EMAIL_MARKETING, channel: EMAIL } } }) { id } }`))).createSegment.id;
  await ok(app.gql(`mutation { upsertProduct(input: { sku: "PATHS-1", name: "Probe", category: "books", priceMinor: 1000, currency: "EUR" }) { id } }`));
  for (const who of ['usesHolders', 'usesGones']) {
    for (const [purpose, channel] of [['EMAIL_MARKETING', 'EMAIL'], ['SMS_MARKETING', 'SMS'], ['THIRD_PARTY_SHARING', 'ANY']]) {
      await ok(app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`,
        { input: { customerId: people[who], purpose, channel, status: 'GRANTED', source: 'test', policyVersion: 'v1' } }));
    }
    await ok(app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`,
      { input: { customerId: people[who], placedAt: '2026-01-02T03:04:05.000Z', channel: 'WEB', currency: 'EUR', lines: [{ sku: 'PATHS-1', quantity: 1 }] } }));
  }
  await ok(app.gql('mutation { recomputeAnalytics { customers } }'));
  // Suppressed under OLD_KEY; the rotated servers list NEW_KEY first.
  await ok(app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }`, { id: people.gone }));
  partnerKey = (await ok<{ createApiKey: { secret: string } }>(app.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    { input: { name: 'own-contact-paths', scopes: [Scope.CUSTOMERS_READ, Scope.CUSTOMERS_CONTACT, Scope.ORDERS_READ, Scope.EVENTS_WRITE] } }))).createApiKey.secret;
  const variants: Array<[string, Record<string, string>]> = [
    ['planner off', { READ_PLANNER: 'off' }], ['planner on', { READ_PLANNER: 'on' }],
    ['rotated keys, planner off', { READ_PLANNER: 'off', PSEUDONYM_KEYS: `${NEW_KEY},${OLD_KEY}` }],
    ['rotated keys, planner on', { READ_PLANNER: 'on', PSEUDONYM_KEYS: `${NEW_KEY},${OLD_KEY}` }],
    ['federation', { FEDERATION: 'true' }],
  ];
  for (const [name, env] of variants) {
    const config = loadConfig({
      NODE_ENV: 'test', DATABASE_URL: app.config.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', PSEUDONYM_KEYS: OLD_KEY, ...env,
    });
    const server = await createServer({ orm: app.orm, config, logger: createLogger(config) });
    servers.set(name, { server, url: `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql` });
  }
}, 90_000);
afterAll(async () => {
  for (const { server } of servers.values()) await server.close();
  await app?.close();
});

const READS: Array<[string, string]> = [
  ['customers, every status, and their orders’ customer', `{ customers(first: 50, filter: { status: [ACTIVE, MERGED, ERASED] }) { nodes { email phone orders { nodes { customer { email phone } } } } } }`],
  ['customer(id), node and nodes', `query($a: ID!, $b: ID!) { a: customer(id: $a) { email phone } b: node(id: $b) { ... on Customer { email } } n: nodes(ids: [$a, $b]) { ... on Customer { email phone } } }`],
  ['a segment’s customers, members and entrants', `query($s: ID!) { segment(id: $s) { customers(first: 50) { nodes { email phone } } members(consentPurpose: EMAIL_MARKETING, channel: ANY) { nodes { customer { email phone } } } entered(since: "2000-01-01T00:00:00Z") { nodes { customer { email phone } } } } }`],
  ['the timeline', `query($a: ID!) { customer(id: $a) { timeline { nodes { ... on Order { customer { email phone } } ... on ConsentRecord { customer { email phone } } } } } }`],
  ['customerByIdentifier', `{ customerByIdentifier(kind: CRM_ID, namespace: "crm", value: "paths-uses-holders") { email phone } }`],
  ['a write’s payload', `mutation($a: ID!) { recordOrder(input: { customerId: $a, placedAt: "2026-01-03T03:04:05.000Z", channel: WEB, currency: "EUR", lines: [{ sku: "PATHS-1", quantity: 1 }] }) { order { customer { email phone } } } }`],
];
const leaks = (res: Res) => [HOLDER_EMAIL, HOLDER_PHONE, GONE_EMAIL].filter((a) => JSON.stringify(res).toLowerCase().includes(a));

describe.each(['planner off', 'planner on', 'rotated keys, planner off', 'rotated keys, planner on', 'federation'])('%s', (name) => {
  const url = () => servers.get(name)!.url;
  const vars = () => ({ a: people.usesHolders, b: people.usesGones, s: segmentId });

  it.each(READS)('%s: neither marketing nor a partner gets another person’s address', async (_what, query) => {
    const withheld: string[] = [];
    for (const headers of [{ authorization: `Bearer ${await app.tokenFor(Role.MARKETING)}` }, { 'x-api-key': partnerKey }] as Array<Record<string, string>>) {
      const res = await post(url(), headers, query, vars());
      expect(leaks(res)).toEqual([]);
      withheld.push(...(res.errors ?? []).filter((e) => e.extensions?.reason === 'NOT_OWN_CONTACT').map((e) => e.path!.join('.')));
    }
    // Each read reaches at least one of them (as the role it is allowed to), and is refused there.
    expect(withheld.length).toBeGreaterThan(0);
  });

  it('support sees the addresses as stated', async () => {
    const res = await post(url(), { authorization: `Bearer ${await app.tokenFor(Role.SUPPORT)}` }, READS[1][1], vars());
    expect(res.errors).toBeUndefined();
    expect(res.data.a).toEqual({ email: HOLDER_EMAIL, phone: HOLDER_PHONE });
    expect(res.data.b).toEqual({ email: GONE_EMAIL });
  });
});

it('Federation’s _entities as well', async () => {
  const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { email phone } } }`;
  const r = [{ __typename: 'Customer', id: people.usesHolders }, { __typename: 'Customer', id: people.usesGones }];
  for (const headers of [{ authorization: `Bearer ${await app.tokenFor(Role.MARKETING)}` }, { 'x-api-key': partnerKey }] as Array<Record<string, string>>) {
    const res = await post(servers.get('federation')!.url, headers, q, { r });
    expect(leaks(res)).toEqual([]);
    expect(res.errors!.map((e) => e.extensions?.reason)).toEqual(['NOT_OWN_CONTACT', 'NOT_OWN_CONTACT', 'NOT_OWN_CONTACT']);
  }
});
