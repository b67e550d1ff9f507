import {
  ACTION_POLICY, CUSTOMER_OWNED_TYPES, EMAIL_CONSENT, EVENT_POLICY, FEDERATION_QUERY_POLICY, FEDERATION_TYPE_POLICY,
  METRICS_FILTER_ROLES, PII_FIELDS, PII_FILTER_ROLES, PROFILING_OBJECTION, Scope, holdsGrant, profilingObjectionSql,
  type FieldPolicy, type Grant,
} from '../../src/auth/policy';
import { Role } from '../../src/auth/viewer';
import { EXPECTED_ACTIONS, EXPECTED_EVENTS, type ExpectedAccess } from '../authz/access-expectations';

/**
 * The parts of the policy table (src/auth/policy.ts) that no field rule shows: webhook events, write
 * actions, audited fields, argument limits, the profiling objection. Field and root grants are
 * compared with the reviewed expectations by tests/authz/access-expectations.test.ts. Kept free of
 * schema building and I/O: the mutation scope `policy` runs it for every mutant of the table.
 */
describe('the policy table beyond fields (policy.ts)', () => {
  const inFileTerms = (p: FieldPolicy): ExpectedAccess => Object.fromEntries(Object.entries(p).map(([r, g]) => [r, g === true ? true : 'scope' in (g as object) ? { scope: (g as { scope: string }).scope } : g])) as ExpectedAccess;

  it('webhook events and write actions grant what the reviewed expectations state', () => {
    expect(Object.fromEntries(Object.entries(EVENT_POLICY).map(([e, p]) => [e, inFileTerms(p)]))).toEqual(EXPECTED_EVENTS);
    expect(Object.fromEntries(Object.entries(ACTION_POLICY).map(([e, p]) => [e, inFileTerms(p)]))).toEqual(EXPECTED_ACTIONS);
  });

  it('holdsGrant: a listed role, a partner holding the scope; never a consent grant or an unlisted role', () => {
    const p: FieldPolicy = { [Role.ADMIN]: true, [Role.PARTNER]: { scope: Scope.ORDERS_READ }, [Role.MARKETING]: { consent: EMAIL_CONSENT } };
    expect(holdsGrant(p, { role: Role.ADMIN })).toBe(true);
    expect(holdsGrant(p, { role: Role.SUPPORT })).toBe(false);
    expect(holdsGrant(p, { role: Role.MARKETING })).toBe(false);
    expect(holdsGrant(p, { role: Role.PARTNER, scopes: [Scope.CUSTOMERS_READ, Scope.ORDERS_READ] })).toBe(true);
    expect(holdsGrant(p, { role: Role.PARTNER, scopes: [Scope.CUSTOMERS_READ] })).toBe(false);
    expect(holdsGrant(p, { role: Role.PARTNER })).toBe(false);
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
      'Identity', 'InferredPreference', 'InferredPreferences', 'Interaction', 'NextBestOffer', 'Order', 'OrderLine', 'Recommendation', 'StatedPreference']);
    expect(PII_FILTER_ROLES).toEqual(['admin', 'support']);
    expect(METRICS_FILTER_ROLES).toEqual(['admin', 'support', 'marketing', 'analyst']);
    expect(Object.values(Scope).sort()).toEqual(['customers:contact', 'customers:read', 'events:write', 'feedback:read', 'interactions:read', 'orders:read']);
  });

  it('federation entry points: _entities as node, _service and its SDL for staff', () => {
    const staffOnly = { admin: true, support: true, marketing: true, analyst: true };
    expect(FEDERATION_QUERY_POLICY).toEqual({ _entities: { ...staffOnly, partner: { scope: 'customers:read' }, customer: true }, _service: staffOnly });
    expect(FEDERATION_TYPE_POLICY).toEqual({ _Service: { sdl: staffOnly } });
    const g: Grant = FEDERATION_QUERY_POLICY._entities.partner!;
    expect(g).toEqual({ scope: 'customers:read' });
  });
});
