import { GraphQLError, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLResolveInfo } from 'graphql';
import { guardSubscriptions } from '../../src/schema/permissions';
import { Role, type Viewer } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';
import type { Context } from '../../src/context';

/**
 * guardSubscriptions (src/schema/permissions.ts) on a schema built here, so that the cases the served
 * schema never has can be seen: a subscription field the policy table does not name (deny by default),
 * a field without a `subscribe`, a schema without subscriptions, and a permitted subscription that
 * must start with the caller's arguments. Mutation scope `permissions`.
 */

const OWNER = 'c0000000-0000-4000-8000-000000000001';
const admin: Viewer = { role: Role.ADMIN, subject: 'a' };
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
