import { GraphQLError, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { buildAppSchema } from '../../src/schema/build-schema';
import { guardSubscriptions, permissionRules } from '../../src/schema/permissions';
import { Scope } from '../../src/auth/policy';
import { Role, type Viewer } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import type { Context } from '../../src/context';

/**
 * The decisions of the permission layer (src/schema/permissions.ts), rule by rule, at unit level:
 * ownership of the customer a customer-role operation names, argument limits on `customers`, which
 * customer each customer-owned type belongs to, consent and object checks, whole-type rules, and
 * how errors thrown by resolvers come through. The same decisions are proven per role over HTTP by
 * tests/authz; this file runs in seconds, for mutation testing (scope `auth`).
 */

const OWNER = 'c0000000-0000-4000-8000-000000000001';
const OTHER = 'c0000000-0000-4000-8000-000000000002';
const own = toGlobalId('Customer', OWNER);
const other = toGlobalId('Customer', OTHER);

const admin: Viewer = { role: Role.ADMIN, subject: 'a' };
const support: Viewer = { role: Role.SUPPORT, subject: 's' };
const marketing: Viewer = { role: Role.MARKETING, subject: 'm' };
const analyst: Viewer = { role: Role.ANALYST, subject: 'n' };
const owner: Viewer = { role: Role.CUSTOMER, subject: 'c', customerId: OWNER };
const partner = (...scopes: Scope[]): Viewer => ({ role: Role.PARTNER, subject: 'p', apiKeyId: 'k', scopes });

/** A context whose consent loader answers from `consents` (key: customer|purpose|channel), recording audited reads. */
/** `notOwn`: `customerId|email` keys whose contact address is not the customer's own (the ownContact loader answers false). */
function ctxFor(viewer: Viewer | undefined, consents: Record<string, string> = {}, notOwn: string[] = []) {
  const reads: Array<[string, string]> = [];
  const ownLookups: string[] = [];
  const ctx = {
    viewer,
    _shield: { cache: {} }, // graphql-shield's per-request cache of 'contextual' rules (the whole-type ones)
    audit: { recordRead: (customerId: string, field: string) => reads.push([customerId, field]) },
    loaders: {
      consentStatus: { load: async (key: string) => consents[key] ?? null },
      ownContact: { load: async (key: string) => (ownLookups.push(key), !notOwn.includes(key)) },
    },
  } as unknown as Context;
  return { ctx, reads, ownLookups };
}

type RuleLike = { resolve: (parent: unknown, args: unknown, ctx: Context, info: unknown, options: unknown) => Promise<true | false | Error> };
const tree = permissionRules as unknown as Record<string, RuleLike & Record<string, RuleLike>>;

/** The rule's verdict: 'allowed', or the error's code, reason and message. */
async function verdict(type: string, field: string | null, viewer: Viewer | undefined, args: Record<string, unknown> = {}, parent: unknown = {}, consents: Record<string, string> = {}) {
  const rule = field ? tree[type][field] : tree[type];
  const res = await rule.resolve(parent, args, ctxFor(viewer, consents).ctx, {}, {});
  if (res === true) return 'allowed';
  if (res instanceof GraphQLError) return { code: res.extensions.code, reason: res.extensions.reason, message: res.message };
  return res;
}
const forbidden = (reason: string, message: string) => ({ code: 'FORBIDDEN', reason, message });

describe('root fields', () => {
  it('role and scope grants', async () => {
    expect(await verdict('Query', 'customers', undefined)).toEqual({ code: 'UNAUTHENTICATED', reason: undefined, message: 'authentication required' });
    expect(await verdict('Query', 'customerByIdentifier', marketing)).toEqual(forbidden('ROLE', 'marketing may not use Query.customerByIdentifier'));
    expect(await verdict('Query', 'customerByIdentifier', partner(Scope.CUSTOMERS_READ))).toEqual(forbidden('SCOPE', 'this API key lacks the scope customers:contact needed for Query.customerByIdentifier'));
    expect(await verdict('Query', 'customerByIdentifier', { role: Role.PARTNER, subject: 'p' })).toEqual(forbidden('SCOPE', 'this API key lacks the scope customers:contact needed for Query.customerByIdentifier'));
    expect(await verdict('Query', 'customerByIdentifier', partner(Scope.CUSTOMERS_CONTACT))).toBe('allowed');
    expect(await verdict('Mutation', 'eraseCustomer', support)).toEqual(forbidden('ROLE', 'support may not use Mutation.eraseCustomer'));
    expect(await verdict('Mutation', 'eraseCustomer', admin)).toBe('allowed');
    expect(await verdict('Subscription', 'customerActivity', marketing)).toEqual(forbidden('ROLE', 'marketing may not use Subscription.customerActivity'));
  });

  it('a customer acts only on their own profile, whichever argument names it', async () => {
    const cases: Array<[string, string, (id: unknown) => Record<string, unknown>]> = [
      ['Mutation', 'upsertCustomer', (id) => ({ input: { id } })],
      ['Mutation', 'setConsent', (id) => ({ input: { customerId: id } })],
      ['Mutation', 'recordFeedback', (id) => ({ input: { customerId: id } })],
      ['Query', 'exportCustomerData', (id) => ({ customerId: id })],
      ['Subscription', 'customerActivity', (id) => ({ customerId: id })],
      ['Mutation', 'recordOfferResponse', (id) => ({ input: { customerId: id } })],
      ['Mutation', 'setPreferences', (id) => ({ customerId: id })],
    ];
    const notOwner = forbidden('NOT_OWNER', 'customers may act only on their own profile');
    for (const [root, field, args] of cases) {
      expect([field, await verdict(root, field, owner, args(own))]).toEqual([field, 'allowed']);
      expect([field, await verdict(root, field, owner, args(other))]).toEqual([field, notOwner]);
      expect([field, await verdict(root, field, owner, args(toGlobalId('Order', OWNER)))]).toEqual([field, notOwner]);
      expect([field, await verdict(root, field, owner, args(OWNER))]).toEqual([field, notOwner]);
      expect([field, await verdict(root, field, owner, {})]).toEqual([field, notOwner]);
      // Staff name any customer.
      expect([field, await verdict(root, field, admin, args(other))]).toEqual([field, 'allowed']);
    }
    // upsertCustomer without an id creates: refused to a customer (it would be someone new).
    expect(await verdict('Mutation', 'upsertCustomer', owner, { input: { email: 'x@example.com' } })).toEqual(notOwner);
    // Operations with no customer argument are not ownership-checked.
    expect(await verdict('Query', 'me', owner)).toBe('allowed');
  });

  it('customers: filtering by email or name only for roles that see contact data', async () => {
    const pii = forbidden('PII_FILTER', 'filtering by email or name is limited to roles that may see contact data');
    expect(await verdict('Query', 'customers', marketing, { filter: { email: 'a@example.com' } })).toEqual(pii);
    expect(await verdict('Query', 'customers', analyst, { filter: { search: 'Ada' } })).toEqual(pii);
    expect(await verdict('Query', 'customers', partner(Scope.CUSTOMERS_READ, Scope.CUSTOMERS_CONTACT), { filter: { email: 'a@example.com' } })).toEqual(pii);
    expect(await verdict('Query', 'customers', support, { filter: { email: 'a@example.com', search: 'Ada' } })).toBe('allowed');
    expect(await verdict('Query', 'customers', admin, { filter: { search: 'Ada' } })).toBe('allowed');
    expect(await verdict('Query', 'customers', marketing, { filter: { email: '' } })).toBe('allowed');
    expect(await verdict('Query', 'customers', marketing, {})).toBe('allowed');
  });

  it('customers: filtering or sorting by metrics or segments only for roles that read them', async () => {
    const metrics = forbidden('METRICS_FILTER', 'filtering or sorting by metrics or segments is limited to roles that may see them');
    const p = partner(Scope.CUSTOMERS_READ);
    expect(await verdict('Query', 'customers', p, { filter: { value: { clv12mMin: 1 } } })).toEqual(metrics);
    expect(await verdict('Query', 'customers', p, { filter: { segmentId: 'x' } })).toEqual(metrics);
    for (const field of ['clv_12m', 'churn_risk', 'historic_value']) expect(await verdict('Query', 'customers', p, { orderBy: { field } })).toEqual(metrics);
    expect(await verdict('Query', 'customers', p, { orderBy: { field: 'created_at' } })).toBe('allowed');
    expect(await verdict('Query', 'customers', p, { filter: { status: 'ACTIVE' } })).toBe('allowed');
    for (const v of [marketing, analyst, support, admin]) {
      expect(await verdict('Query', 'customers', v, { filter: { value: { clv12mMin: 1 }, segmentId: 'x' }, orderBy: { field: 'churn_risk' } })).toBe('allowed');
    }
    // The limits are on `customers` only.
    expect(await verdict('Query', 'products', p, { filter: { email: 'a@example.com', value: 1 }, orderBy: { field: 'churn_risk' } })).toBe('allowed');
  });
});

describe('fields of customer-owned types', () => {
  const shares = { [`${OWNER}|third_party_sharing|any`]: 'granted' };

  it('each type finds its customer where that type keeps it', async () => {
    const parents: Array<[string, string, Record<string, unknown>]> = [
      ['Customer', 'status', { id: OWNER }],
      ['CustomerConsents', 'current', { customerId: OWNER }],
      ['CustomerPreferences', 'inferred', { customerId: OWNER }],
      ['InferredPreferences', 'available', { customerId: OWNER }],
      ['InferredPreference', 'value', { customerId: OWNER }],
      ['CustomerRecommendations', 'available', { customerId: OWNER }],
      ['Recommendation', 'product', { customerId: OWNER }],
      ['Order', 'externalId', { customer: { id: OWNER } }],
      ['ConsentRecord', 'status', { customer: { id: OWNER } }],
    ];
    for (const [type, field, parent] of parents) {
      const objectDenied = forbidden('OBJECT', `no access to this customer's ${type}`);
      expect([type, await verdict(type, field, owner, {}, parent)]).toEqual([type, 'allowed']);
      expect([type, await verdict(type, field, { ...owner, customerId: OTHER }, {}, parent)]).toEqual([type, objectDenied]);
      expect([type, await verdict(type, field, owner, {}, {})]).toEqual([type, objectDenied]);
      if (type === 'CustomerPreferences' || type === 'InferredPreferences' || type === 'InferredPreference' || type === 'CustomerRecommendations' || type === 'Recommendation') continue; // not for partners
      // A partner: looked up, through the same place.
      expect([type, await verdict(type, field, partner(Scope.CUSTOMERS_READ, Scope.ORDERS_READ), {}, parent, shares)]).toEqual([type, 'allowed']);
      expect([type, await verdict(type, field, partner(Scope.CUSTOMERS_READ, Scope.ORDERS_READ), {}, parent)]).toEqual([type, objectDenied]);
      expect([type, await verdict(type, field, partner(Scope.CUSTOMERS_READ, Scope.ORDERS_READ), {}, {}, shares)]).toEqual([type, objectDenied]);
    }
  });

  it('marketing reads contact data under the matching consent, and the read is audited', async () => {
    const email = `${OWNER}|email_marketing|email`;
    const granted = ctxFor(marketing, { [email]: 'granted' });
    expect(await tree.Customer.email.resolve({ id: OWNER }, {}, granted.ctx, {}, {})).toBe(true);
    expect(granted.reads).toEqual([[OWNER, 'Customer.email']]);
    const withdrawn = ctxFor(marketing, { [email]: 'withdrawn' });
    const res = await tree.Customer.email.resolve({ id: OWNER }, {}, withdrawn.ctx, {}, {});
    expect([res instanceof GraphQLError, (res as GraphQLError).message, (res as GraphQLError).extensions]).toEqual([true, 'the customer has not consented to email_marketing/email', { code: 'FORBIDDEN', reason: 'NO_CONSENT' }]);
    expect(withdrawn.reads).toEqual([]);
    expect(await verdict('Customer', 'phone', marketing, {}, { id: OWNER })).toEqual(forbidden('NO_CONSENT', 'the customer has not consented to sms_marketing/sms or phone_marketing/phone'));
    expect(await verdict('Customer', 'phone', marketing, {}, { id: OWNER }, { [`${OWNER}|phone_marketing|phone`]: 'granted' })).toBe('allowed');
  });

  it("a consent or scope grant gets a contact address only where it is the customer's own; those who serve the customer get it as stated", async () => {
    const consent = { [`${OWNER}|email_marketing|email`]: 'granted', [`${OWNER}|sms_marketing|sms`]: 'granted', ...shares };
    const refused = forbidden('NOT_OWN_CONTACT', "this email is not established as the customer's own contact address, so it is not given for this use");
    for (const viewer of [marketing, partner(Scope.CUSTOMERS_CONTACT, Scope.CUSTOMERS_READ)]) {
      const notOwn = ctxFor(viewer, consent, [`${OWNER}|email`]);
      const res = await tree.Customer.email.resolve({ id: OWNER }, {}, notOwn.ctx, {}, {});
      expect([viewer.role, res instanceof GraphQLError && { code: res.extensions.code, reason: res.extensions.reason, message: res.message }]).toEqual([viewer.role, refused]);
      expect(notOwn.reads).toEqual([]); // refused: not a read
      // The phone is looked up on its own: an e-mail that is not theirs withholds nothing else.
      expect(await tree.Customer.phone.resolve({ id: OWNER }, {}, notOwn.ctx, {}, {})).toBe(true);
      expect(notOwn.ownLookups).toEqual([`${OWNER}|email`, `${OWNER}|phone`]);
      // Without consent (marketing) the consent's refusal comes first, and nothing is looked up.
      if (viewer.role === Role.MARKETING) {
        const none = ctxFor(viewer, {}, [`${OWNER}|email`]);
        expect((await tree.Customer.email.resolve({ id: OWNER }, {}, none.ctx, {}, {}) as GraphQLError).extensions.reason).toBe('NO_CONSENT');
        expect(none.ownLookups).toEqual([]);
      }
    }
    for (const viewer of [admin, support, owner]) {
      const served = ctxFor(viewer, consent, [`${OWNER}|email`]);
      expect([viewer.role, await tree.Customer.email.resolve({ id: OWNER }, {}, served.ctx, {}, {})]).toEqual([viewer.role, true]);
      expect(served.ownLookups).toEqual([]);
    }
  });

  it('audits reads of personal-data fields only, by whichever path', async () => {
    const cases: Array<[Viewer, string, string, Record<string, unknown>, Array<[string, string]>]> = [
      [admin, 'Customer', 'status', { id: OWNER }, []],
      [admin, 'Customer', 'birthDate', { id: OWNER }, [[OWNER, 'Customer.birthDate']]],
      [owner, 'Feedback', 'text', { customer: { id: OWNER } }, [[OWNER, 'Feedback.text']]],
      [partner(Scope.CUSTOMERS_CONTACT, Scope.CUSTOMERS_READ), 'Customer', 'email', { id: OWNER }, [[OWNER, 'Customer.email']]],
      [partner(Scope.CUSTOMERS_READ), 'Customer', 'status', { id: OWNER }, []],
    ];
    for (const [viewer, type, field, parent, expected] of cases) {
      const { ctx, reads } = ctxFor(viewer, shares);
      expect(await tree[type][field].resolve(parent, {}, ctx, {}, {})).toBe(true);
      expect([`${type}.${field}`, reads]).toEqual([`${type}.${field}`, expected]);
    }
  });

  it('types not owned by a customer need only the role grant', async () => {
    expect(await verdict('Offer', 'name', owner)).toBe('allowed');
    expect(await verdict('Offer', 'value', owner)).toEqual(forbidden('ROLE', 'customer may not use Offer.value'));
    expect(await verdict('Offer', 'value', analyst)).toBe('allowed');
  });
});

describe('whole-type rules', () => {
  it('signed in, or admin', async () => {
    expect(await verdict('Product', null, undefined)).toEqual({ code: 'UNAUTHENTICATED', reason: undefined, message: 'authentication required' });
    expect(await verdict('Product', null, owner)).toBe('allowed');
    expect(await verdict('AuditEntry', null, undefined)).toEqual({ code: 'UNAUTHENTICATED', reason: undefined, message: 'authentication required' });
    expect(await verdict('AuditEntry', null, support)).toEqual(forbidden('ROLE', 'admins only'));
    expect(await verdict('ApiKey', null, admin)).toBe('allowed');
  });
});

describe('the served schema', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema();
  });
  const fieldOf = (type: string, field: string) => (schema.getType(type) as GraphQLObjectType).getFields()[field];
  const info = (type: string, field: string) => ({ fieldName: field, parentType: schema.getType(type), path: { key: field } }) as unknown as GraphQLResolveInfo;

  it('a refused subscription never starts; guarding twice changes nothing', async () => {
    const sub = fieldOf('Subscription', 'customerActivity');
    const refuse = async (viewer: Viewer | undefined, customerId: string) => {
      try {
        await sub.subscribe!(undefined, { customerId }, ctxFor(viewer).ctx, info('Subscription', 'customerActivity'));
      } catch (e) {
        return { code: (e as GraphQLError).extensions?.code, reason: (e as GraphQLError).extensions?.reason };
      }
      return 'started';
    };
    expect(await refuse(owner, other)).toEqual({ code: 'FORBIDDEN', reason: 'NOT_OWNER' });
    expect(await refuse(undefined, own)).toEqual({ code: 'UNAUTHENTICATED', reason: undefined });
    expect(await refuse(marketing, own)).toEqual({ code: 'FORBIDDEN', reason: 'ROLE' });
    const before = sub.subscribe;
    guardSubscriptions(schema);
    expect(fieldOf('Subscription', 'customerActivity').subscribe).toBe(before);
  });

  it('a resolver error reaches the client as an Error, a non-Error thrown value wrapped with it as cause', async () => {
    const shares = { [`${OWNER}|third_party_sharing|any`]: 'granted' };
    const p = partner(Scope.ORDERS_READ);
    const throwing = (thrown: unknown) => ({ customer: { id: OWNER }, get externalId(): string { throw thrown; } });
    const resolve = (parent: unknown) => fieldOf('Order', 'externalId').resolve!(parent, {}, ctxFor(p, shares).ctx, info('Order', 'externalId'));
    const plain = new Error('plain');
    expect(await resolve(throwing(plain))).toBe(plain);
    const wrapped = (await resolve(throwing({ message: 'connection lost', code: '08006' }))) as Error;
    expect([wrapped instanceof Error, wrapped.message, wrapped.cause]).toEqual([true, 'connection lost', { message: 'connection lost', code: '08006' }]);
    const text = (await resolve(throwing('boom'))) as Error;
    expect([text instanceof Error, text.message, text.cause]).toEqual([true, 'boom', 'boom']);
    const numeric = (await resolve(throwing({ message: 7 }))) as Error;
    expect([numeric instanceof Error, numeric.message]).toEqual([true, '[object Object]']);
    expect(await resolve({ customer: { id: OWNER }, externalId: 'EXT-9' })).toBe('EXT-9');
  });

  it('an allowed field resolves synchronously for staff; a field outside the tree is refused', async () => {
    const { ctx } = ctxFor(admin);
    expect(fieldOf('Order', 'externalId').resolve!({ customer: { id: OWNER }, externalId: 'E' }, {}, ctx, info('Order', 'externalId'))).toBe('E');
    const refused = fieldOf('Product', 'sku').resolve!({ sku: 'S' }, {}, ctxFor(undefined).ctx, info('Product', 'sku'));
    expect(((await refused) as GraphQLError).extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });
});
