import { GraphQLError, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { buildAppSchema } from '../../src/schema/build-schema';
import { Scope } from '../../src/auth/policy';
import { Role, type Viewer } from '../../src/auth/viewer';
import type { Context } from '../../src/context';

/**
 * How the served permission layer is called (schema/permissions.ts, applyPermissions): a verdict that
 * needs no lookup is taken synchronously, anything else goes through graphql-shield's own async
 * middleware. What each role may see is proven on the served schema over HTTP by the field matrix and
 * privacy tests; this checks which path a field takes, since the speed of list answers depends on it.
 */
describe('permission verdicts taken without waiting', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildAppSchema();
  });

  const OWNER = 'c0000000-0000-4000-8000-000000000001';
  const order = { id: 'o1', externalId: 'EXT-1', customer: { id: OWNER } };
  const customer = { id: OWNER, email: 'ada@example.com' };

  function ctxFor(viewer: Viewer | undefined, consent = 'granted') {
    const reads: Array<[string, string]> = [];
    const ctx = {
      viewer,
      audit: { recordRead: (customerId: string, field: string) => reads.push([customerId, field]) },
      loaders: { consentStatus: { load: async () => consent } },
    } as unknown as Context;
    return { ctx, reads };
  }

  function resolveField(type: string, field: string, parent: unknown, ctx: Context): unknown {
    const def = (schema.getType(type) as GraphQLObjectType).getFields()[field];
    return def.resolve!(parent, {}, ctx, { fieldName: field, parentType: schema.getType(type) } as unknown as GraphQLResolveInfo);
  }

  const admin: Viewer = { role: Role.ADMIN, subject: 'a' };
  const owner: Viewer = { role: Role.CUSTOMER, subject: 'c', customerId: OWNER };
  const stranger: Viewer = { role: Role.CUSTOMER, subject: 'x', customerId: 'c0000000-0000-4000-8000-000000000002' };
  const partner: Viewer = { role: Role.PARTNER, subject: 'p', scopes: [Scope.CUSTOMERS_READ, Scope.ORDERS_READ] };
  const partnerNoOrders: Viewer = { role: Role.PARTNER, subject: 'p', scopes: [Scope.CUSTOMERS_READ] };

  it('staff and the owning customer read a field synchronously, with the audit of personal data', () => {
    const { ctx, reads } = ctxFor(admin);
    expect(resolveField('Order', 'externalId', order, ctx)).toBe('EXT-1');
    expect(resolveField('Customer', 'email', customer, ctx)).toBe('ada@example.com');
    expect(reads).toEqual([[OWNER, 'Customer.email']]);

    const own = ctxFor(owner);
    expect(resolveField('Customer', 'email', customer, own.ctx)).toBe('ada@example.com');
    expect(own.reads).toEqual([[OWNER, 'Customer.email']]);
  });

  it('refusals that need no lookup are the rule\'s own errors, answered at once', () => {
    const cases: Array<[Viewer | undefined, string, string, unknown, string, string | undefined]> = [
      [undefined, 'Order', 'externalId', order, 'UNAUTHENTICATED', undefined],
      [stranger, 'Order', 'externalId', order, 'FORBIDDEN', 'OBJECT'],
      [partnerNoOrders, 'Order', 'externalId', order, 'FORBIDDEN', 'SCOPE'],
      [{ role: Role.ANALYST, subject: 'n' }, 'Customer', 'email', customer, 'FORBIDDEN', 'ROLE'],
    ];
    for (const [viewer, type, field, parent, code, reason] of cases) {
      const { ctx, reads } = ctxFor(viewer);
      const out = resolveField(type, field, parent, ctx);
      expect(out).toBeInstanceOf(GraphQLError);
      expect((out as GraphQLError).extensions).toMatchObject(reason ? { code, reason } : { code });
      expect(reads).toEqual([]);
    }
  });

  it('a verdict that needs a lookup (a partner\'s consent, marketing\'s contact consent) goes through graphql-shield', async () => {
    const granted = ctxFor(partner, 'granted');
    const pending = resolveField('Order', 'externalId', order, granted.ctx);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBe('EXT-1');

    const refused = ctxFor(partner, 'withdrawn');
    const out = await resolveField('Order', 'externalId', order, refused.ctx);
    expect((out as GraphQLError).extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OBJECT' });

    const marketing = ctxFor({ role: Role.MARKETING, subject: 'm' }, 'withdrawn');
    const email = resolveField('Customer', 'email', customer, marketing.ctx);
    expect(email).toBeInstanceOf(Promise);
    expect(((await email) as GraphQLError).extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NO_CONSENT' });
    expect(marketing.reads).toEqual([]);
  });

  it('a rule that throws is refused with shield\'s fallback error, not let through', async () => {
    // The audit is missing from this context: the synchronous part throws, shield runs the rule again and refuses.
    const ctx = { viewer: admin, loaders: {} } as unknown as Context;
    const out = await resolveField('Customer', 'email', customer, ctx);
    expect(out).toBeInstanceOf(GraphQLError);
    expect((out as GraphQLError).extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'DEFAULT_DENY' });
  });
});
