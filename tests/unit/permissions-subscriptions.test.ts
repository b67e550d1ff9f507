import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLResolveInfo } from 'graphql';
import { guardSubscriptions } from '../../src/schema/permissions';
import { Role, type Viewer } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import { CUSTOMER_OWNED_TYPES, Scope, TYPE_POLICY } from '../../src/auth/policy';
import type { Context } from '../../src/context';

/**
 * guardSubscriptions (src/schema/permissions.ts) on a schema built here, so that the cases the served
 * schema never has can be seen: a subscription field the policy table does not name (deny by default),
 * a field without a `subscribe`, a schema without subscriptions, and a permitted subscription that
 * must start with the caller's arguments. Mutation scope `permissions`.
 */

const OWNER = 'c0000000-0000-4000-8000-000000000001';
const admin: Viewer = { role: Role.ADMIN, subject: 'a' };
const marketing: Viewer = { role: Role.MARKETING, subject: 'm' };
const owner: Viewer = { role: Role.CUSTOMER, subject: 'c', customerId: OWNER };
const ctxOf = (viewer: Viewer | undefined) => ({ viewer, _shield: { cache: {} }, audit: { recordRead: () => {} } }) as unknown as Context;
const info = {} as GraphQLResolveInfo;

function schemaWith(calls: unknown[][]) {
  const started = (label: string) => (source: unknown, args: unknown, ctx: unknown, i: unknown) => {
    calls.push([label, source, args, ctx, i]);
    return `${label} started`;
  };
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        // In SUBSCRIPTION_POLICY (customers: their own profile only).
        customerActivity: { type: GraphQLString, args: { customerId: { type: GraphQLString } }, subscribe: started('customerActivity') },
        // Not in the policy table.
        unlisted: { type: GraphQLString, subscribe: started('unlisted') },
        // No subscribe of its own: left alone.
        bare: { type: GraphQLString },
      },
    }),
  });
}

async function outcome(run: () => unknown) {
  try {
    return await run();
  } catch (e) {
    return { message: (e as GraphQLError).message, extensions: (e as GraphQLError).extensions };
  }
}

describe('guardSubscriptions', () => {
  it('a permitted subscription starts with the caller\'s source, arguments, context and info', async () => {
    const calls: unknown[][] = [];
    const schema = guardSubscriptions(schemaWith(calls));
    const field = schema.getSubscriptionType()!.getFields().customerActivity;
    const args = { customerId: toGlobalId('Customer', OWNER) };
    const ctx = ctxOf(owner);
    expect(await outcome(() => field.subscribe!('src', args, ctx, info))).toBe('customerActivity started');
    expect(calls).toEqual([['customerActivity', 'src', args, ctx, info]]);
    // Refused: never started.
    expect(await outcome(() => field.subscribe!('src', { customerId: toGlobalId('Customer', 'c0000000-0000-4000-8000-000000000002') }, ctxOf(owner), info)))
      .toEqual({ message: 'customers may act only on their own profile', extensions: { code: 'FORBIDDEN', reason: 'NOT_OWNER' } });
    expect(calls).toHaveLength(1);
    // The refusal names the root type and field, as for queries and mutations.
    expect(await outcome(() => field.subscribe!('src', args, ctxOf(marketing), info)))
      .toEqual({ message: 'marketing may not use Subscription.customerActivity', extensions: { code: 'FORBIDDEN', reason: 'ROLE' } });
    expect(await outcome(() => field.subscribe!('src', args, ctxOf(undefined), info)))
      .toEqual({ message: 'authentication required', extensions: { code: 'UNAUTHENTICATED' } });
    expect(calls).toHaveLength(1);
  });

  it('guarding a schema again leaves each guard as it is: the check runs once per start', async () => {
    const calls: unknown[][] = [];
    const schema = guardSubscriptions(schemaWith(calls));
    const fields = schema.getSubscriptionType()!.getFields();
    const first = { customerActivity: fields.customerActivity.subscribe, unlisted: fields.unlisted.subscribe };
    expect(guardSubscriptions(schema)).toBe(schema);
    expect(fields.customerActivity.subscribe).toBe(first.customerActivity);
    expect(fields.unlisted.subscribe).toBe(first.unlisted);
    const args = { customerId: toGlobalId('Customer', OWNER) };
    expect(await outcome(() => fields.customerActivity.subscribe!(undefined, args, ctxOf(owner), info))).toBe('customerActivity started');
    expect(calls.map((c) => c[0])).toEqual(['customerActivity']);
  });

  it('a subscription field the policy table does not name is refused to everyone, admins included', async () => {
    const calls: unknown[][] = [];
    const schema = guardSubscriptions(schemaWith(calls));
    const field = schema.getSubscriptionType()!.getFields().unlisted;
    for (const viewer of [admin, owner]) {
      expect(await outcome(() => field.subscribe!(undefined, {}, ctxOf(viewer), info))).toEqual({ message: 'not allowed', extensions: { code: 'FORBIDDEN', reason: 'DEFAULT_DENY' } });
    }
    expect(calls).toEqual([]);
  });

  it('a field without subscribe is left without one; a schema without subscriptions is returned as it is', () => {
    const schema = guardSubscriptions(schemaWith([]));
    expect(schema.getSubscriptionType()!.getFields().bare.subscribe).toBeUndefined();
    const plain = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLString } } }) });
    expect(guardSubscriptions(plain)).toBe(plain);
    expect(plain.getSubscriptionType()).toBeUndefined();
  });
});

describe('the policy table, as the permission layer relies on it', () => {
  // fieldRule looks a partner's grant up (third-party-sharing consent) and then reads it as a consent
  // grant or a scope grant: a partner never holds an unconditional grant on a customer's data.
  it('no field of a customer-owned type grants partners without a scope', () => {
    const unconditional = Object.entries(TYPE_POLICY)
      .filter(([type]) => (CUSTOMER_OWNED_TYPES as readonly string[]).includes(type))
      .flatMap(([type, fields]) => Object.entries(fields).filter(([, p]) => p[Role.PARTNER] !== undefined && (typeof p[Role.PARTNER] !== 'object' || !('scope' in (p[Role.PARTNER] as object)))).map(([f]) => `${type}.${f}`));
    expect(unconditional).toEqual([]);
    // …while partners do hold scoped grants there (the filter above has something to look at).
    expect(TYPE_POLICY.Customer.email[Role.PARTNER]).toEqual({ scope: Scope.CUSTOMERS_CONTACT });
  });
});
