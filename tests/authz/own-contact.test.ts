import { startTestApp, type TestApp } from '../helpers/test-server';
import { ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { Scope } from '../../src/auth/policy';
import { createServer, type RapportServer } from '../../src/server';
import { createLogger } from '../../src/logger';
import { Client } from 'pg';
import { PassThrough } from 'node:stream';
import { runExport } from '../../src/exports/run-export';
import { ConsentChannel, ConsentPurpose } from '../../src/entities/enums';
import { fromGlobalId } from '../../src/schema/global-id';

/**
 * A contact address stated on a profile but not that customer's own to be reached at — an identifier
 * another profile holds, or an erased person's — is never given to a use beyond serving the person
 * (marketing under a consent, a partner under a scope): a send to it would reach someone else under this
 * customer's consent. Those who serve the customer, and the customer, see it as stated. Checked on the
 * served schema through HTTP, with the read planner off and on (same database).
 */

let app: TestApp;
let planned: { server: RapportServer; url: string };
let partnerKey: string;
const people: Record<string, { id: string }> = {};
let segmentId = '';
const HOLDER_EMAIL = 'holder.own-contact@example.com';
const HOLDER_PHONE = '+442079460333';
const GONE_EMAIL = 'gone.own-contact@example.com';
const OWN_EMAIL = 'own.own-contact@example.com';

type Res = { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>; extensions?: Record<string, unknown> }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function post(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}): Promise<Res> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as Res;
}

/** The same operation as `who`, answered by the server with the planner off (app) or on (planned). */
async function as(who: 'marketing' | 'partner' | 'support' | 'self', query: string, variables: Record<string, unknown>, plannerOn: boolean, self?: string): Promise<Res> {
  const url = plannerOn ? planned.url : app.url;
  if (who === 'partner') return post(url, { 'x-api-key': partnerKey }, query, variables);
  const token = who === 'self' ? await app.tokenFor(Role.CUSTOMER, self) : await app.tokenFor(who === 'marketing' ? Role.MARKETING : Role.SUPPORT);
  return post(url, { authorization: `Bearer ${token}` }, query, variables);
}

/** The text of every statement sent to PostgreSQL while `fn` runs (what pg_stat_activity shows and an error log line holds). */
async function recordingTexts<T>(texts: string[], fn: () => Promise<T>): Promise<T> {
  const original = Client.prototype.query;
  Client.prototype.query = function recording(this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    texts.push(typeof q === 'string' ? q : q?.text ?? '');
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  try {
    return await fn();
  } finally {
    Client.prototype.query = original;
  }
}
const startupTexts: string[] = [];
const padsOf = () => app.config.pseudonymKeys.keys.flatMap((k) => Object.values(app.config.pseudonymKeys.sqlPads(k)));

const withheld = (res: Res) => (res.errors ?? []).filter((e) => e.extensions?.reason === 'NOT_OWN_CONTACT').map((e) => e.path!.join('.')).sort();

beforeAll(async () => {
  app = await startTestApp();
  const make = async (name: string, input: Record<string, unknown>) => {
    const up = await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`, { input: { firstName: name, ...input } }));
    people[name] = { id: up.upsertCustomer.customer.id };
  };
  await make('holder', { email: HOLDER_EMAIL, phone: HOLDER_PHONE });
  await make('gone', { email: GONE_EMAIL });
  await make('own', { email: OWN_EMAIL, phone: '+442079460444' });
  await make('usesHolders', { identities: [{ kind: 'CRM_ID', namespace: 'crm', value: 'uses-holders' }] });
  await make('usesGones', { identities: [{ kind: 'CRM_ID', namespace: 'crm', value: 'uses-gones' }] });
  // A customer writing their own profile may not learn whose an identifier is: the address is stored as stated.
  for (const [who, input] of [['usesHolders', { email: HOLDER_EMAIL, phone: HOLDER_PHONE }], ['usesGones', { email: GONE_EMAIL }]] as const) {
    await ok(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`,
      { input: { id: people[who].id, ...input } }, { role: Role.CUSTOMER, customerId: people[who].id }));
  }
  for (const who of ['holder', 'own', 'usesHolders', 'usesGones']) {
    for (const [purpose, channel] of [['EMAIL_MARKETING', 'EMAIL'], ['SMS_MARKETING', 'SMS'], ['THIRD_PARTY_SHARING', 'ANY']]) {
      await ok(app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`,
        { input: { customerId: people[who].id, purpose, channel, status: 'GRANTED', source: 'test', policyVersion: 'v1' } }));
    }
  }
  await ok(app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }`, { id: people.gone.id }));
  segmentId = (await ok<{ createSegment: { id: string } }>(app.gql(`mutation { createSegment(input: { name: "own-contact", rule: { consent: { purpose: EMAIL_MARKETING, channel: EMAIL } } }) { id } }`))).createSegment.id;
  await ok(app.gql('mutation { recomputeAnalytics { customers } }'));
  partnerKey = (await ok<{ createApiKey: { secret: string } }>(app.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    { input: { name: 'own-contact-partner', scopes: [Scope.CUSTOMERS_READ, Scope.CUSTOMERS_CONTACT] } }))).createApiKey.secret;
  app.config.readPlanner = false;
  const config = { ...app.config, readPlanner: true };
  const server = await recordingTexts(startupTexts, () => createServer({ orm: app.orm, config, logger: createLogger(config) }));
  planned = { server, url: `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql` };
}, 60_000);
afterAll(async () => {
  await planned?.server.close();
  await app?.close();
});

describe.each([false, true])('contact addresses that are not the customer’s own (read planner on: %s)', (plannerOn) => {
  const LIST = `{ customers(first: 50) { nodes { id firstName email phone } } }`;

  it.each(['marketing', 'partner'] as const)('%s gets no address another profile holds or an erased person had, and the customer’s own ones', async (who) => {
    const res = await as(who, LIST, {}, plannerOn);
    const byId = new Map((res.data.customers.nodes as Array<{ id: string; email: string | null; phone: string | null } | null>).filter(Boolean).map((n) => [n!.id, n!]));
    expect(byId.get(people.usesHolders.id)).toMatchObject({ email: null, phone: null });
    expect(byId.get(people.usesGones.id)).toMatchObject({ email: null });
    // The holder's own identifiers, and a customer with their own, are given as before.
    expect(byId.get(people.holder.id)).toMatchObject({ email: HOLDER_EMAIL, phone: HOLDER_PHONE });
    expect(byId.get(people.own.id)).toMatchObject({ email: OWN_EMAIL, phone: '+442079460444' });
    // Refused per field, with one reason for both cases, and the answer names no one.
    const index = (name: string) => (res.data.customers.nodes as Array<{ id: string } | null>).findIndex((n) => n?.id === people[name].id);
    expect(withheld(res)).toEqual([`customers.nodes.${index('usesGones')}.email`, `customers.nodes.${index('usesHolders')}.email`, `customers.nodes.${index('usesHolders')}.phone`].sort());
    for (const e of res.errors!.filter((x) => x.extensions?.reason === 'NOT_OWN_CONTACT')) {
      expect(e.extensions?.code).toBe('FORBIDDEN');
      expect(e.message).not.toMatch(/holder|gone|erase|another|other profile|suppress/i);
    }
    expect(JSON.stringify(res)).not.toContain(GONE_EMAIL);
    expect(JSON.stringify(res).split(HOLDER_EMAIL).length - 1).toBe(1); // the holder's own row only
  });

  it('withholds it however the customer is reached: by id or through node', async () => {
    const ids = { a: people.usesHolders.id, b: people.usesGones.id };
    const res = await as('marketing', `query($a: ID!, $b: ID!) { a: customer(id: $a) { email phone } b: node(id: $b) { ... on Customer { email } } }`, ids, plannerOn);
    expect(res.data).toEqual({ a: { email: null, phone: null }, b: { email: null } });
    expect(withheld(res)).toEqual(['a.email', 'a.phone', 'b.email']);
  });

  it('those who serve the customer, and the customer, see the address as stated', async () => {
    const q = `query($id: ID!) { customer(id: $id) { email phone } }`;
    const support = await as('support', q, { id: people.usesHolders.id }, plannerOn);
    expect(support).toMatchObject({ data: { customer: { email: HOLDER_EMAIL, phone: HOLDER_PHONE } } });
    expect(support.errors).toBeUndefined();
    const self = await as('self', `{ me { email } }`, {}, plannerOn, people.usesGones.id);
    expect(self.data).toEqual({ me: { email: GONE_EMAIL } });
    expect(self.errors).toBeUndefined();
  });

  it('keeps the pseudonym keys out of the statement text: the suppression check binds their pads as parameters', async () => {
    // The HMAC pads are the key (any digest can be computed from them): a statement's text is what
    // pg_stat_activity shows and PostgreSQL logs with an error (a statement cancelled by its timeout);
    // bind parameters are in neither by default.
    const texts: string[] = [];
    await recordingTexts(texts, async () => {
      for (const who of ['marketing', 'partner'] as const) {
        const res = await as(who, `query($id: ID!) { customers(first: 50) { nodes { email phone } } customer(id: $id) { email } }`, { id: people.usesGones.id }, plannerOn);
        expect(withheld(res)).toContain('customer.email');
      }
      // The send list of a segment (the same check as an export, in its WHERE clause).
      const members = await as('marketing', `query($s: ID!) { segment(id: $s) { members(consentPurpose: EMAIL_MARKETING) { totalCount nodes { customer { id email } } } } }`, { s: segmentId }, plannerOn);
      expect(members.errors).toBeUndefined();
      expect(members.data.segment.members.nodes.map((n: { customer: { email: string } }) => n.customer.email).sort()).toEqual([HOLDER_EMAIL, OWN_EMAIL].sort());
      expect(members.data.segment.members.totalCount).toBe(2);
    });
    expect(texts.filter((t) => t.includes('suppressed_identifiers')).length).toBeGreaterThanOrEqual(plannerOn ? 2 : 3);
    const pads = padsOf();
    expect(texts.filter((t) => pads.some((p) => t.includes(p)))).toEqual([]);
    // Nor at startup, where digests from before the keys are converted (upgradeLegacyDigests).
    expect(startupTexts.some((t) => t.includes('suppressed_identifiers'))).toBe(true);
    expect(startupTexts.filter((t) => pads.some((p) => t.includes(p)))).toEqual([]);
  });

  it('the check stays batched: the statements of a list do not grow with it', async () => {
    const q = `query($n: Int!) { customers(first: $n) { nodes { email phone } } }`;
    const one = await as('marketing', q, { n: 1 }, plannerOn);
    const all = await as('marketing', q, { n: 50 }, plannerOn);
    expect(all.data.customers.nodes).toHaveLength(4); // holder, own and the two who use another's address (the erased one is gone)
    expect(all.extensions!.sqlStatements).toBe(one.extensions!.sqlStatements);
  });
});

describe('the CLI export (COPY, which takes no bind parameters)', () => {
  it('sends the same members, and no statement of it carries a pad of the keyring in its text', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const texts: string[] = [];
    const summary = await recordingTexts(texts, () => runExport({
      databaseUrl: app.config.databaseUrl!, segmentId: fromGlobalId(segmentId)!.id, purpose: ConsentPurpose.EMAIL_MARKETING, channel: ConsentChannel.EMAIL,
      format: 'csv', stream: out, actor: 'test-export', keyring: app.config.pseudonymKeys,
    }));
    // The members Segment.members gives (above): the holder and the customer with their own address.
    const emails = chunks.join('').trim().split('\n').slice(1).map((line) => line.split(',')[1]).sort();
    expect(emails).toEqual([HOLDER_EMAIL, OWN_EMAIL].sort());
    expect(summary.rows).toBe(2);
    const copy = texts.filter((t) => /^copy \(/i.test(t.trim()));
    expect(copy).toHaveLength(1);
    expect(copy[0]).toContain('suppressed_identifiers');
    const pads = padsOf();
    expect(texts.filter((t) => pads.some((p) => t.includes(p)))).toEqual([]);
  });
});
