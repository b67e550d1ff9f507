import { deny, rule, shield, type IRules } from 'graphql-shield';
import { applyMiddleware } from 'graphql-middleware';
import { GraphQLError, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import type { Context } from '../context';
import { Role } from '../auth/viewer';
import { accessKnownNow, canAccessCustomer, hasConsent } from '../auth/access';
import {
  CUSTOMER_OWNED_TYPES, FEDERATION_QUERY_POLICY, FEDERATION_TYPE_POLICY, METRICS_FILTER_ROLES, MUTATION_POLICY, PII_FIELDS, PII_FILTER_ROLES, QUERY_POLICY, SUBSCRIPTION_POLICY,
  SEGMENT_TRAIT_FIELD, TYPE_POLICY, holdsGrant, ownContactColumn, type FieldPolicy,
} from '../auth/policy';
import { traitKeysOf } from '../analytics/segment-rule';
import { fromGlobalId } from './global-id';

const unauthenticated = () => new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
const forbidden = (message: string, reason: string) => new GraphQLError(message, { extensions: { code: 'FORBIDDEN', reason } });

const CUSTOMER_ID_CARRIERS = new Set(['CustomerPreferences', 'InferredPreferences', 'InferredPreference', 'CustomerRecommendations', 'Recommendation']);

/**
 * The property of a customer-owned object that names its customer: the object's own `id` (Customer),
 * `customerId` (wrappers that are not entities), else the `customer` relation (whose `id` it is).
 * The read planner (src/planner/read-planner.ts) reads it to know which column a row must carry.
 */
export function customerPropertyOf(type: string): 'id' | 'customerId' | 'customer' {
  if (type === 'Customer') return 'id';
  if (type === 'CustomerConsents') return 'customerId';
  // Preference and recommendation wrappers carry their customer's id (they are not entities).
  if (CUSTOMER_ID_CARRIERS.has(type)) return 'customerId';
  return 'customer';
}

/** The customer a customer-owned object belongs to. */
function customerIdOf(type: string, parent: Record<string, unknown>): string | undefined {
  const prop = customerPropertyOf(type);
  if (prop !== 'customer') return parent[prop] as string;
  return (parent.customer as { id?: string } | undefined)?.id;
}

/** For the customer role: the argument that must name the viewer's own customer. */
const OWN_CUSTOMER_ARG: Record<string, (args: Record<string, any>) => unknown> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  upsertCustomer: (a) => a.input?.id,
  setConsent: (a) => a.input?.customerId,
  recordFeedback: (a) => a.input?.customerId,
  exportCustomerData: (a) => a.customerId,
  customerActivity: (a) => a.customerId,
  recordOfferResponse: (a) => a.input?.customerId,
  setPreferences: (a) => a.customerId,
};

/** Checks the role grant of one field: role listed, scope held (partner). Consent and ownership are checked by the callers. */
function roleGrant(policy: FieldPolicy, ctx: Context, what: string): true | GraphQLError {
  const viewer = ctx.viewer;
  if (!viewer) return unauthenticated();
  const grant = policy[viewer.role];
  if (!grant) return forbidden(`${viewer.role} may not use ${what}`, 'ROLE');
  if (typeof grant === 'object' && 'scope' in grant && !viewer.scopes?.includes(grant.scope)) {
    return forbidden(`this API key lacks the scope ${grant.scope} needed for ${what}`, 'SCOPE');
  }
  return true;
}

type RootKind = 'Query' | 'Mutation' | 'Subscription';

function rootRule(kind: RootKind, field: string, policy: FieldPolicy) {
  // Depends on arguments (ownership, filters): never cached across fields.
  return rule(`${kind}.${field}`, { cache: 'no_cache' })((_parent, args: Record<string, any>, ctx: Context) => rootCheck(kind, field, policy, args, ctx)); // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** What a root field's rule decides: role grant, scope, ownership (customer role), argument limits. */
function rootCheck(kind: RootKind, field: string, policy: FieldPolicy, args: Record<string, any>, ctx: Context): true | GraphQLError { // eslint-disable-line @typescript-eslint/no-explicit-any
  const granted = roleGrant(policy, ctx, `${kind}.${field}`);
  if (granted !== true) return granted;
  const viewer = ctx.viewer!;
  if (viewer.role === Role.CUSTOMER && OWN_CUSTOMER_ARG[field]) {
    const named = OWN_CUSTOMER_ARG[field](args);
    const parsed = typeof named === 'string' ? fromGlobalId(named) : null;
    if (!parsed || parsed.type !== 'Customer' || parsed.id !== viewer.customerId) return forbidden('customers may act only on their own profile', 'NOT_OWNER');
  }
  if (field === 'customers' && (args.filter?.email || args.filter?.search) && !PII_FILTER_ROLES.includes(viewer.role)) {
    return forbidden('filtering by email or name is limited to roles that may see contact data', 'PII_FILTER');
  }
  if ((field === 'createSegment' || field === 'updateSegment') && !holdsGrant(TYPE_POLICY[SEGMENT_TRAIT_FIELD.type][SEGMENT_TRAIT_FIELD.field], viewer)) {
    const refused = traitKeysOf(args.input?.rule).find((k) => !ctx.config.segmentTraitKeys.includes(k));
    if (refused !== undefined) {
      return forbidden(`segment rules on traits are limited to roles that may read traits, except for the keys SEGMENT_TRAIT_KEYS lists ("${refused}" is not one)`, 'PII_FILTER');
    }
  }
  const metricSort = ['clv_12m', 'churn_risk', 'historic_value'].includes(args.orderBy?.field);
  if (field === 'customers' && (args.filter?.value || args.filter?.segmentId || metricSort) && !METRICS_FILTER_ROLES.includes(viewer.role)) {
    return forbidden('filtering or sorting by metrics or segments is limited to roles that may see them', 'METRICS_FILTER');
  }
  return true;
}

const GUARDED = Symbol('rapport.subscriptionGuard');

/**
 * graphql-middleware wraps a subscription field's `resolve` (type-graphql defines one), so the shield
 * rule runs on every delivered event but not when subscribing. This applies the same root check to
 * `subscribe` as well: a refused subscription answers the rule's error and never starts. A
 * subscription field absent from SUBSCRIPTION_POLICY is refused to everyone (deny by default).
 */
export function guardSubscriptions(schema: GraphQLSchema): GraphQLSchema {
  for (const [name, field] of Object.entries(schema.getSubscriptionType()?.getFields() ?? {})) {
    const inner = field.subscribe;
    if (!inner || (inner as { [GUARDED]?: boolean })[GUARDED]) continue;
    const policy = SUBSCRIPTION_POLICY[name];
    const guarded = async (source: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => {
      const verdict = policy ? rootCheck('Subscription', name, policy, args, ctx) : forbidden('not allowed', 'DEFAULT_DENY');
      if (verdict !== true) throw verdict;
      return inner(source, args, ctx, info);
    };
    field.subscribe = Object.assign(guarded, { [GUARDED]: true });
  }
  return schema;
}

type Verdict = true | GraphQLError;
/** The synchronous part of a rule: its verdict when it needs no lookup, else undefined. */
type VerdictNow = (parent: Record<string, unknown>, ctx: Context) => Verdict | undefined;

/** Rule → the synchronous part of the same decision (see `applyPermissions`). */
const VERDICT_NOW = new WeakMap<object, VerdictNow>();

function withVerdictNow<R extends object>(shieldRule: R, now: VerdictNow): R {
  VERDICT_NOW.set(shieldRule, now);
  return shieldRule;
}

function fieldRule(type: string, field: string, policy: FieldPolicy, customerOwned: boolean) {
  const pii = PII_FIELDS[type]?.includes(field) ?? false;
  const what = `${type}.${field}`;

  async function objectAndConsent(parent: Record<string, unknown>, ctx: Context) {
    const customerId = customerIdOf(type, parent);
    if (!customerId || !(await canAccessCustomer(ctx, customerId))) return forbidden(`no access to this customer's ${type}`, 'OBJECT');
    const grant = policy[ctx.viewer!.role]!;
    if (typeof grant === 'object' && 'consent' in grant && !(await hasConsent(ctx, customerId, grant.consent))) {
      return forbidden(`the customer has not consented to ${grant.consent.anyOf.map((n) => `${n.purpose}/${n.channel}`).join(' or ')}`, 'NO_CONSENT');
    }
    // A use beyond serving the person (a consent or scope grant) gets only an address that is the customer's own.
    const contact = ownContactColumn(type, field, ctx.viewer!.role);
    if (contact && !(await ctx.loaders.ownContact.load(`${customerId}|${contact}`))) {
      return forbidden(`this ${contact} is not established as the customer's own contact address, so it is not given for this use`, 'NOT_OWN_CONTACT');
    }
    if (pii) ctx.audit.recordRead(customerId, what);
    return true;
  }

  /** The part of the rule that needs no lookup: a verdict, or undefined when object access or consent must be looked up. */
  function decideNow(parent: Record<string, unknown>, ctx: Context): Verdict | undefined {
    const granted = roleGrant(policy, ctx, what);
    if (granted !== true) return granted;
    if (!customerOwned) return true;
    if (policy[ctx.viewer!.role] !== true) return undefined; // a consent to look up
    const customerId = customerIdOf(type, parent);
    const access = accessKnownNow(ctx, customerId);
    if (access === undefined) return undefined; // a partner: the customer's consent to third-party sharing
    if (!access) return forbidden(`no access to this customer's ${type}`, 'OBJECT');
    if (pii) ctx.audit.recordRead(customerId!, what);
    return true;
  }

  // The answer depends on the parent object: 'no_cache', never 'contextual' (which would reuse the
  // first list item's answer for every item).
  return withVerdictNow(
    rule(what, { cache: 'no_cache' })((parent: Record<string, unknown>, _args, ctx: Context) => decideNow(parent, ctx) ?? objectAndConsent(parent, ctx)),
    decideNow,
  );
}

const authenticated = (ctx: Context): Verdict => (ctx.viewer ? true : unauthenticated());
const admin = (ctx: Context): Verdict => (!ctx.viewer ? unauthenticated() : ctx.viewer.role === Role.ADMIN ? true : forbidden('admins only', 'ROLE'));
const isAuthenticated = withVerdictNow(rule('isAuthenticated', { cache: 'contextual' })((_p, _a, ctx: Context) => authenticated(ctx)), (_p, ctx) => authenticated(ctx));
const isAdmin = withVerdictNow(rule('isAdmin', { cache: 'contextual' })((_p, _a, ctx: Context) => admin(ctx)), (_p, ctx) => admin(ctx));

/** The rule tree; with `federation`, also the subgraph's entry points (README "Federation"). */
function buildRules(federation = false): IRules {
  const queries = federation ? { ...QUERY_POLICY, ...FEDERATION_QUERY_POLICY } : QUERY_POLICY;
  const tree: Record<string, Record<string, unknown> | unknown> = {
    Query: Object.fromEntries(Object.entries(queries).map(([f, p]) => [f, rootRule('Query', f, p)])),
    Mutation: Object.fromEntries(Object.entries(MUTATION_POLICY).map(([f, p]) => [f, rootRule('Mutation', f, p)])),
    Subscription: Object.fromEntries(Object.entries(SUBSCRIPTION_POLICY).map(([f, p]) => [f, rootRule('Subscription', f, p)])),
  };
  for (const [type, fields] of Object.entries(federation ? { ...TYPE_POLICY, ...FEDERATION_TYPE_POLICY } : TYPE_POLICY)) {
    const owned = (CUSTOMER_OWNED_TYPES as readonly string[]).includes(type);
    tree[type] = Object.fromEntries(Object.entries(fields).map(([f, p]) => [f, fieldRule(type, f, p, owned)]));
  }
  // Not personal data, reachable only through guarded fields.
  for (const type of ['Product', 'PostalAddress', 'Money', 'PageInfo', 'UpsertCustomerPayload', 'RecordOrderPayload', 'RecordInteractionPayload', 'EraseCustomerPayload', 'CustomerValue', 'RfmScore', 'SegmentMembership', 'AnalyticsRun', 'AnalyticsHistoryEntry', 'StageCount', 'TierCount', 'PurchaseModelFit', 'SegmentSize', 'CustomerLifecycleHistory', 'LifecycleTransition', 'TimelineConnection', 'TimelineEdge', 'FeedbackSummaryRow', 'CampaignMetricsRow', 'MergePreview', 'MergedProfile', 'MergeMove', 'FieldChoice', 'FieldProvenance', 'MergeCustomersPayload', 'UnmergeCustomersPayload', 'IgnoredIdentifier', 'OfferStats', 'SimilarProduct', 'IngestEventsPayload', 'IngestEventResult', 'IngestEventError',
    // Reachable only through the webhook roots, which answer an admin or the owning partner key only.
    'WebhookEndpoint', 'CreatedWebhookEndpoint', 'WebhookDelivery',
    // Reachable only through the trigger roots (admin, marketing).
    'Trigger']) tree[type] = isAuthenticated;
  for (const name of ['Customer', 'Order', 'Interaction', 'Feedback', 'ConsentRecord', 'Product', 'AuditEntry', 'SegmentMembership', 'WebhookDelivery', 'AnalyticsHistoryEntry', 'SegmentMember', 'TriggerFiring', 'SupportTask']) {
    tree[`${name}Connection`] = isAuthenticated;
    tree[`${name}Edge`] = isAuthenticated;
  }
  tree.AuditEntry = isAdmin;
  tree.ApiKey = isAdmin;
  tree.CreatedApiKey = isAdmin;
  return tree as IRules;
}

export const permissionRules = buildRules();

function shieldOf(rules: IRules) {
  return shield(rules, {
    // Deny by default: any field not named in the tree is refused.
    fallbackRule: deny,
    fallbackError: () => forbidden('not allowed', 'DEFAULT_DENY'),
    // Errors thrown by resolvers (typed domain errors) must reach the client as they are, not as "Not Authorised!".
    allowExternalErrors: true,
    debug: false,
  });
}

export const permissions = shieldOf(permissionRules);
let federationShield: { rules: IRules; shield: ReturnType<typeof shieldOf> } | undefined;

type FieldMiddleware = (
  resolve: (parent: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => unknown,
  parent: unknown, args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo,
) => unknown;

/** The rule the tree gives a field (a type-wide rule, a field's own, or none: the fallback, deny). */
function ruleOf(tree: IRules, type: string, field: string): object | undefined {
  const entry = (tree as Record<string, unknown>)[type];
  if (!entry || typeof entry !== 'object') return undefined;
  if (VERDICT_NOW.has(entry)) return entry;
  const rules = entry as Record<string, object | undefined>;
  return rules[field] ?? rules['*'];
}

/**
 * The synchronous part of the rule the (non-federated) rule tree gives `type.field`, as `verdictFirst`
 * takes it: true (allowed; a personal-data read is recorded), an error, or undefined (a lookup is
 * needed, or the field has no such part: shield decides). The read planner's direct walk
 * (src/planner/direct-walk.ts) answers a field only when this says true.
 */
export function fieldVerdict(type: string, field: string): VerdictNow | undefined {
  const rule = ruleOf(permissionRules, type, field);
  return rule ? VERDICT_NOW.get(rule) : undefined;
}

/**
 * The served permission layer: graphql-shield's middleware for every field, generated from the rule
 * tree above, with one change in how it is called. graphql-shield evaluates every rule in an async
 * function, so every field it guards, each scalar of each list item included, resolves through
 * several promises; on a 2,000-field customer-360 answer that was a third of the server's CPU.
 * Where a rule's verdict needs no lookup (a role grant, a scope, staff access, an unauthenticated or
 * forbidden viewer), it is taken synchronously from the same rule code (`withVerdictNow`): allowed
 * fields resolve directly, refused ones answer the rule's own error. Everything else (object access,
 * consent, a fallback deny, any exception in the synchronous part) goes to shield's own middleware,
 * which runs the whole rule as before.
 */
export function applyPermissions(schema: GraphQLSchema, opts: { federation?: boolean } = {}): GraphQLSchema {
  let rules = permissionRules;
  let layer = permissions;
  if (opts.federation) {
    if (!federationShield) {
      const federated = buildRules(true);
      federationShield = { rules: federated, shield: shieldOf(federated) };
    }
    ({ rules, shield: layer } = federationShield);
  }
  const generated = layer.generate(schema) as Record<string, Record<string, FieldMiddleware | { resolve: FieldMiddleware }>>;
  const fieldMap: Record<string, Record<string, FieldMiddleware | { resolve: FieldMiddleware }>> = {};
  for (const [type, fields] of Object.entries(generated)) {
    fieldMap[type] = {};
    for (const [field, shielded] of Object.entries(fields)) {
      const rule = ruleOf(rules, type, field);
      const now = rule ? VERDICT_NOW.get(rule) : undefined;
      const guarded = typeof shielded === 'function' ? keepErrors(shielded) : shielded;
      fieldMap[type][field] = now && typeof guarded === 'function' ? verdictFirst(now, guarded) : guarded;
    }
  }
  return applyMiddleware(schema, fieldMap as unknown as Parameters<typeof applyMiddleware>[1]);
}

/**
 * graphql-shield (allowExternalErrors) returns a resolver's error as the field's value, and graphql-js
 * reports a returned value as an error only when it is an `Error`. Anything else thrown (a driver's
 * non-Error rejection when the database connection drops) would be resolved as if it were the
 * payload; it is wrapped in an Error, the original kept as `cause` for the error formatter.
 */
function keepErrors(shielded: FieldMiddleware): FieldMiddleware {
  return (resolve, parent, args, ctx, info) =>
    shielded(async (p, a, c, i) => {
      try {
        return await resolve(p, a, c, i);
      } catch (err) {
        if (err instanceof Error) throw err;
        throw new Error(typeof (err as { message?: unknown })?.message === 'string' ? (err as { message: string }).message : String(err), { cause: err });
      }
    }, parent, args, ctx, info);
}

function verdictFirst(now: VerdictNow, shielded: FieldMiddleware): FieldMiddleware {
  return (resolve, parent, args, ctx, info) => {
    let verdict: Verdict | undefined;
    try {
      verdict = now(parent as Record<string, unknown>, ctx);
    } catch {
      verdict = undefined; // shield runs the rule again and answers its fallback error
    }
    if (verdict === true) return resolve(parent, args, ctx, info);
    if (verdict instanceof GraphQLError) return verdict;
    return shielded(resolve, parent, args, ctx, info);
  };
}
