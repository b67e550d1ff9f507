import {
  ACTION_POLICY, CUSTOMER_OWNED_TYPES, EMAIL_CONSENT, EVENT_POLICY, FEDERATION_QUERY_POLICY, FEDERATION_TYPE_POLICY,
  METRICS_FILTER_ROLES, PII_FIELDS, PII_FILTER_ROLES, PROFILING_OBJECTION, Scope, THIRD_PARTY_SHARING, holdsGrant, profilingObjectionSql,
  type FieldPolicy, type Grant,
} from '../../src/auth/policy';
import fs from 'node:fs';
import path from 'node:path';
import { MUTATION_POLICY, QUERY_POLICY, SUBSCRIPTION_POLICY, TYPE_POLICY } from '../../src/auth/policy';
import { policyMarkdown } from '../../src/auth/policy-doc';
import { Role } from '../../src/auth/viewer';
import {
  EXPECTED_ACTIONS, EXPECTED_EVENTS, EXPECTED_MUTATIONS, EXPECTED_QUERIES, EXPECTED_SUBSCRIPTIONS, EXPECTED_TYPES, type ExpectedAccess, type ExpectedGrant,
} from '../authz/access-expectations';

/**
 * The parts of the policy table (src/auth/policy.ts) that no field rule shows: webhook events, write
 * actions, audited fields, argument limits, the profiling objection. Field and root grants are
 * compared with the reviewed expectations, field by field, by tests/authz/access-expectations.test.ts
 * (against the rule tree and the served schema too); the table-only part of that comparison is
 * repeated here. Kept free of schema building and I/O: the mutation scope `policy` runs this one file
 * for every mutant of the table, which is module-level data.
 */

/** A policy-table grant in the expectation file's terms (consent needs named by their channels). */
function asExpected(grant: Grant): ExpectedGrant {
  if (grant === true) return true;
  if ('scope' in grant) return { scope: grant.scope };
  const pairs = grant.consent.anyOf.map((n) => `${n.purpose}/${n.channel}`).sort().join(' ');
  const names: Record<string, 'email' | 'phone' | 'any-contact'> = {
    'email_marketing/email': 'email',
    'phone_marketing/phone sms_marketing/sms': 'phone',
    'email_marketing/email phone_marketing/phone sms_marketing/sms': 'any-contact',
  };
  return { consent: names[pairs] ?? (`unexpected consent need ${pairs}` as never) };
}
const asExpectedAccess = (p: FieldPolicy): ExpectedAccess => Object.fromEntries(Object.entries(p).map(([r, g]) => [r, asExpected(g as Grant)]));
const table = (t: Record<string, FieldPolicy>) => Object.fromEntries(Object.entries(t).map(([f, p]) => [f, asExpectedAccess(p)]));

describe('the policy table grants exactly what the reviewed expectations state', () => {
  it('root fields', () => {
    expect(table(QUERY_POLICY)).toEqual(EXPECTED_QUERIES);
    expect(table(MUTATION_POLICY)).toEqual(EXPECTED_MUTATIONS);
    expect(table(SUBSCRIPTION_POLICY)).toEqual(EXPECTED_SUBSCRIPTIONS);
  });

  it('fields of every type the table names', () => {
    const fieldByField = Object.fromEntries(Object.entries(EXPECTED_TYPES).filter(([, e]) => typeof e === 'object'));
    expect(Object.fromEntries(Object.entries(TYPE_POLICY).map(([t, fields]) => [t, table(fields)]))).toEqual(fieldByField);
  });

  it("the README's policy table is generated from it (npm run policy:doc)", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- policy:start -->') + '<!-- policy:start -->'.length;
    expect(readme.slice(start, readme.indexOf('<!-- policy:end -->')).trim()).toBe(policyMarkdown());
  });
});
describe('the policy table beyond fields (policy.ts)', () => {

  it('webhook events and write actions grant what the reviewed expectations state', () => {
    expect(Object.fromEntries(Object.entries(EVENT_POLICY).map(([e, p]) => [e, asExpectedAccess(p)]))).toEqual(EXPECTED_EVENTS);
    expect(Object.fromEntries(Object.entries(ACTION_POLICY).map(([e, p]) => [e, asExpectedAccess(p)]))).toEqual(EXPECTED_ACTIONS);
  });

  it('holdsGrant: a listed role, a partner holding the scope; never a consent grant or an unlisted role', () => {
    const p: FieldPolicy = { [Role.ADMIN]: true, [Role.PARTNER]: { scope: Scope.ORDERS_READ }, [Role.MARKETING]: { consent: EMAIL_CONSENT } };
    expect(holdsGrant(p, { role: Role.ADMIN })).toBe(true);
    expect(holdsGrant(p, { role: Role.SUPPORT })).toBe(false);
    expect(holdsGrant(p, { role: Role.MARKETING })).toBe(false);
    expect(holdsGrant(p, { role: Role.PARTNER, scopes: [Scope.CUSTOMERS_READ, Scope.ORDERS_READ] })).toBe(true);
    expect(holdsGrant(p, { role: Role.PARTNER, scopes: [Scope.CUSTOMERS_READ] })).toBe(false);
    expect(holdsGrant(p, { role: Role.PARTNER })).toBe(false);
    // A key's scopes grant nothing where the policy does not list partners at all.
    expect(holdsGrant({ [Role.ADMIN]: true }, { role: Role.PARTNER, scopes: [Scope.ORDERS_READ] })).toBe(false);
  });

  it('what a partner needs before seeing anything of a customer', () => {
    expect(THIRD_PARTY_SHARING).toEqual({ purpose: 'third_party_sharing', channel: 'any' });
  });

  it('the profiling objection: denied or withdrawn PROFILING consent, and the model columns it hides', () => {
    expect(PROFILING_OBJECTION).toEqual({
      purpose: 'profiling', channel: 'any', withheldWhen: ['denied', 'withdrawn'],
      modelColumns: ['p_alive', 'predicted_purchases12m', 'clv12m_minor', 'churn_risk'],
    });
    expect(profilingObjectionSql('c.id')).toBe("rapport_consent_status(c.id, 'profiling', 'any') in ('denied', 'withdrawn')");
  });

  it('personal-data fields (audited reads), customer-owned types and argument limits', () => {
    expect(PII_FIELDS).toEqual({
      Customer: ['firstName', 'lastName', 'email', 'phone', 'birthDate', 'address', 'traits', 'identities'],
      Feedback: ['text'], Interaction: ['properties'], CustomerPreferences: ['stated'],
    });
    expect([...CUSTOMER_OWNED_TYPES].sort()).toEqual(['ConsentRecord', 'Customer', 'CustomerConsents', 'CustomerMerge', 'CustomerPreferences', 'CustomerRecommendations', 'Feedback',
      'Identity', 'InferredPreference', 'InferredPreferences', 'Interaction', 'LifecycleStageChange', 'NextBestOffer', 'Order', 'OrderLine', 'Recommendation',
      'SegmentMember', 'SegmentMembershipChange', 'StatedPreference', 'SupportTask', 'TriggerFiring']);
    expect(PII_FILTER_ROLES).toEqual(['admin', 'support']);
    expect(METRICS_FILTER_ROLES).toEqual(['admin', 'support', 'marketing', 'analyst']);
    expect(Object.values(Scope).sort()).toEqual(['customers:contact', 'customers:read', 'events:write', 'feedback:read', 'interactions:read', 'orders:read', 'profiles:write']);
  });

  it('profiles:write (a first-party source) grants identifying and linking only: no read, no merge, no owner lookup, no webhook', () => {
    const granting: string[] = [];
    const scan = (where: string, table: Record<string, FieldPolicy>) => {
      for (const [name, p] of Object.entries(table)) {
        const g = p[Role.PARTNER];
        if (g && g !== true && 'scope' in g && g.scope === Scope.PROFILES_WRITE) granting.push(`${where}.${name}`);
      }
    };
    scan('Query', QUERY_POLICY);
    scan('Mutation', MUTATION_POLICY);
    scan('Subscription', SUBSCRIPTION_POLICY);
    scan('Event', EVENT_POLICY);
    scan('Action', ACTION_POLICY);
    for (const [type, fields] of Object.entries(TYPE_POLICY)) scan(type, fields);
    expect(granting.sort()).toEqual(['Action.identifyProfiles', 'Action.linkIdentifiers']);
    const key = { role: Role.PARTNER, scopes: [Scope.EVENTS_WRITE, Scope.PROFILES_WRITE] };
    expect(holdsGrant(ACTION_POLICY.lookUpByIdentifier, key)).toBe(false);
    expect(holdsGrant(MUTATION_POLICY.mergeCustomers, key)).toBe(false);
    expect(holdsGrant(MUTATION_POLICY.upsertCustomer, key)).toBe(false);
    expect(holdsGrant(QUERY_POLICY.customers, key)).toBe(false);
    expect(holdsGrant(ACTION_POLICY.lookUpByIdentifier, { ...key, scopes: [...key.scopes, Scope.CUSTOMERS_CONTACT] })).toBe(true);
  });

  it('federation entry points: _entities as node, _service and its SDL for staff', () => {
    const staffOnly = { admin: true, support: true, marketing: true, analyst: true };
    expect(FEDERATION_QUERY_POLICY).toEqual({ _entities: { ...staffOnly, partner: { scope: 'customers:read' }, customer: true }, _service: staffOnly });
    expect(FEDERATION_TYPE_POLICY).toEqual({ _Service: { sdl: staffOnly } });
    const g: Grant = FEDERATION_QUERY_POLICY._entities.partner!;
    expect(g).toEqual({ scope: 'customers:read' });
  });
});
