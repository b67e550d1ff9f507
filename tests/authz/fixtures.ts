import type { TestApp } from '../helpers/test-server';
import { Role } from '../../src/auth/viewer';
import { Scope } from '../../src/auth/policy';
import { fromGlobalId } from '../../src/schema/global-id';
import { ok } from '../helpers/fixtures';

export interface PersonFixture {
  id: string;
  uuid: string;
  orderId: string;
  feedbackId: string;
  /** Every personal-data value stored for this person: none may reach a viewer that may not see it. */
  pii: string[];
  consents: { email: boolean; phone: boolean; sharing: boolean };
}

export interface AuthzFixtures {
  consenting: PersonFixture;
  private: PersonFixture;
  productId: string;
  partnerFullKey: string;
  partnerReadKey: string;
}

/** Two people with the same kinds of data; one consents to everything, the other to nothing. */
export async function createAuthzFixtures(app: TestApp): Promise<AuthzFixtures> {
  const product = await ok<{ upsertProduct: { id: string } }>(app.gql(`mutation { upsertProduct(input: { sku: "AUTHZ-1", name: "Probe", category: "books", priceMinor: 1000, currency: "EUR" }) { id } }`));
  const productId = product.upsertProduct.id;

  const person = async (tag: string, phone: string, birthDate: string, grant: boolean): Promise<PersonFixture> => {
    const email = `${tag.toLowerCase()}.person@example.com`;
    const up = await ok<{ upsertCustomer: { customer: { id: string } } }>(app.gql(
      `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`,
      { input: { email, phone, firstName: `${tag}First`, lastName: `${tag}Last`, birthDate, address: { line1: `${tag} Road 1`, city: `${tag}ville`, country: 'GB' }, traits: { note: `${tag}-trait` }, identities: [{ kind: 'CRM_ID', namespace: 'crm', value: `${tag}-CRM-1` }] } },
    ));
    const id = up.upsertCustomer.customer.id;
    const order = await ok<{ recordOrder: { order: { id: string } } }>(app.gql(
      `mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`,
      { input: { customerId: id, placedAt: '2026-01-02T03:04:05.000Z', channel: 'WEB', currency: 'EUR', lines: [{ productId, quantity: 1 }] } },
    ));
    await ok(app.gql(`mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate } }`,
      { input: { customerId: id, channel: 'CHAT', type: 'CHAT_MESSAGE', productId, campaign: 'spring', properties: { transcript: `${tag}-chat-transcript` } } }));
    const fb = await ok<{ recordFeedback: { id: string } }>(app.gql(`mutation($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id } }`,
      { input: { customerId: id, kind: 'COMPLAINT', text: `${tag}-feedback-text`, topic: 'delivery' } }));
    for (const [purpose, channel] of [['EMAIL_MARKETING', 'EMAIL'], ['SMS_MARKETING', 'SMS'], ['THIRD_PARTY_SHARING', 'ANY'], ['PERSONALIZATION', 'ANY']]) {
      await ok(app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`,
        { input: { customerId: id, purpose, channel, status: grant ? 'GRANTED' : 'DENIED', source: 'test', policyVersion: 'v1' } }));
    }
    await ok(app.gql(`mutation($c: ID!) { setPreferences(customerId: $c, input: { categories: ["books"], authors: ["${tag}-favourite-author"] }) { __typename } }`, { c: id }));
    const normalisedPhone = phone.replace(/\s/g, '');
    return {
      id, uuid: fromGlobalId(id)!.id, orderId: order.recordOrder.order.id, feedbackId: fb.recordFeedback.id,
      pii: [email, normalisedPhone, `${tag}First`, `${tag}Last`, birthDate, `${tag} Road 1`, `${tag}ville`, `${tag}-trait`, `${tag}-CRM-1`, `${tag}-chat-transcript`, `${tag}-feedback-text`, `${tag}-favourite-author`],
      consents: { email: grant, phone: grant, sharing: grant },
    };
  };
  const consenting = await person('Yes', '+44 20 7946 0111', '1980-02-03', true);
  const priv = await person('Nope', '+44 20 7946 0222', '1975-06-07', false);

  const key = async (name: string, scopes: string[]) =>
    (await ok<{ createApiKey: { secret: string } }>(app.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, { input: { name, scopes } }))).createApiKey.secret;
  return {
    consenting,
    private: priv,
    productId,
    partnerFullKey: await key('partner-full', Object.values(Scope)),
    partnerReadKey: await key('partner-read', [Scope.CUSTOMERS_READ]),
  };
}

export interface ViewerSpec {
  name: string;
  role: Role | null;
  scopes?: Scope[];
  /** For role CUSTOMER: whose token. */
  self?: 'consenting';
  apiKey?: (f: AuthzFixtures) => string;
}

export const VIEWERS: ViewerSpec[] = [
  { name: 'anonymous', role: null },
  { name: 'admin', role: Role.ADMIN },
  { name: 'support', role: Role.SUPPORT },
  { name: 'marketing', role: Role.MARKETING },
  { name: 'analyst', role: Role.ANALYST },
  { name: 'partner (all scopes)', role: Role.PARTNER, scopes: Object.values(Scope), apiKey: (f) => f.partnerFullKey },
  { name: 'partner (customers:read)', role: Role.PARTNER, scopes: [Scope.CUSTOMERS_READ], apiKey: (f) => f.partnerReadKey },
  { name: 'customer (self = consenting)', role: Role.CUSTOMER, self: 'consenting' },
];

/** Sends an operation as a viewer: bearer token, API key, or nothing. */
export async function asViewer(app: TestApp, f: AuthzFixtures, v: ViewerSpec, query: string, variables: Record<string, unknown> = {}) {
  if (v.apiKey) {
    const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': v.apiKey(f) }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, ...((await res.json()) as { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }> }) }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  return app.gql(query, variables, v.role ? { role: v.role, customerId: v.self ? f[v.self].id : undefined } : { role: null });
}
