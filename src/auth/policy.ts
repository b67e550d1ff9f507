import { ConsentChannel, ConsentPurpose } from '../entities/enums';
import { Role } from './viewer';

/**
 * THE access policy, as data. The graphql-shield tree (schema/permissions.ts), the README's policy
 * table (npm run policy:doc) and the role × field matrix test are all derived from this one table,
 * so what is documented is what is enforced. A change here is a permission change: review it as one.
 *
 * Deny is the default: a (type, field) absent here is unreachable for every role, and a role absent
 * from an entry may not read that field.
 */

/** Partner API key scopes. */
export enum Scope {
  CUSTOMERS_READ = 'customers:read',
  CUSTOMERS_CONTACT = 'customers:contact',
  ORDERS_READ = 'orders:read',
  INTERACTIONS_READ = 'interactions:read',
  FEEDBACK_READ = 'feedback:read',
  EVENTS_WRITE = 'events:write',
  /**
   * First-party sources (the company's own site, app or backend sending Segment identify/alias): with
   * events:write, IDENTIFY events (create and update profiles) and linking the identifiers of the
   * person an event names (ACTION_POLICY identifyProfiles, linkIdentifiers). Reads nothing, merges
   * nothing, and learns whose an identifier is only with customers:contact as well. A key holding it
   * lets anyone who has it create and change profiles: keep it server-side (README "Tracking API").
   */
  PROFILES_WRITE = 'profiles:write',
}

/** A marketing use of contact data needs the customer's current consent for one of these. */
export interface ConsentNeed {
  anyOf: Array<{ purpose: ConsentPurpose; channel: ConsentChannel }>;
}

export const EMAIL_CONSENT: ConsentNeed = { anyOf: [{ purpose: ConsentPurpose.EMAIL_MARKETING, channel: ConsentChannel.EMAIL }] };
export const PHONE_CONSENT: ConsentNeed = {
  anyOf: [
    { purpose: ConsentPurpose.SMS_MARKETING, channel: ConsentChannel.SMS },
    { purpose: ConsentPurpose.PHONE_MARKETING, channel: ConsentChannel.PHONE },
  ],
};
export const ANY_CONTACT_CONSENT: ConsentNeed = { anyOf: [...EMAIL_CONSENT.anyOf, ...PHONE_CONSENT.anyOf] };
/** What a partner needs before it may see anything of a customer. */
export const THIRD_PARTY_SHARING = { purpose: ConsentPurpose.THIRD_PARTY_SHARING, channel: ConsentChannel.ANY };

/**
 * Model-based scores (purchase model, Gamma-Gamma, churn risk, and the tiers and stages built on them)
 * are profiling, and so are preferences inferred from behaviour. A customer whose current PROFILING
 * consent is DENIED or WITHDRAWN:
 * - gets none on the graph: `Customer.value` keeps descriptive figures (orders, recency, RFM) and says
 *   why the rest is unavailable; pAlive, predictedPurchases12m, expectedOrderValue, clv12m,
 *   marginClv12m, churnRisk, valueTier and lifecycleStage are null, lifecycleHistory is withheld;
 * - is never ordered by them: `customers(orderBy: CHURN_RISK | CLV_12M)` sorts them as customers
 *   without a score (with prospects, last in descending order), so order and cursors reveal nothing;
 * - is left out of every segment whose rule uses a model output (a model metric, valueTierIn,
 *   lifecycleStageIn, an inferred preference; a `not` around one included), in real time on a
 *   consent change, and of `customers(filter: { value })` filters on tiers, stages, churn or CLV;
 * - is not ranked for offers by churn risk, P(alive) or tier.
 * Never asked (no record) is not an objection. Applied at read and evaluation time from the consent
 * records, so a withdrawal takes effect before the next analytics run.
 */
export const PROFILING_OBJECTION = {
  purpose: ConsentPurpose.PROFILING,
  channel: ConsentChannel.ANY,
  withheldWhen: ['denied', 'withdrawn'] as readonly string[],
  /** customer_metrics columns that are model outputs (segment `metric` fields). */
  modelColumns: ['p_alive', 'predicted_purchases12m', 'clv12m_minor', 'churn_risk'] as readonly string[],
};

/** SQL: true when the customer `idSql` has objected to profiling (see PROFILING_OBJECTION). */
export const profilingObjectionSql = (idSql: string): string =>
  `rapport_consent_status(${idSql}, '${PROFILING_OBJECTION.purpose}', '${PROFILING_OBJECTION.channel}') in (${PROFILING_OBJECTION.withheldWhen.map((w) => `'${w}'`).join(', ')})`;

/**
 * How a role may read a field: `true` (always, once it may see the object), a consent the customer
 * must have given (marketing), or a scope the API key must hold (partner).
 */
export type Grant = true | { consent: ConsentNeed } | { scope: Scope };
export type FieldPolicy = Partial<Record<Role, Grant>>;

const { ADMIN, SUPPORT, MARKETING, ANALYST, PARTNER, CUSTOMER } = Role;

const staff = (extra: FieldPolicy = {}): FieldPolicy => ({ [ADMIN]: true, [SUPPORT]: true, [MARKETING]: true, [ANALYST]: true, ...extra });
const everyone = (scope: Scope): FieldPolicy => staff({ [PARTNER]: { scope }, [CUSTOMER]: true });
/** Direct identifiers: staff who serve the customer, and the customer. */
const directPii: FieldPolicy = { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true };
/** What a customer stated they like: directPii plus marketing, who act on it. */
const statedPreferences: FieldPolicy = { ...directPii, [MARKETING]: true };
/** Next-best offers: who presents offers to a person, and the person. */
const nbo: FieldPolicy = { [ADMIN]: true, [SUPPORT]: true, [MARKETING]: true, [CUSTOMER]: true };
/** An offer's terms, as presented; its targeting and value stay with staff. */
const offerTerms: FieldPolicy = staff({ [CUSTOMER]: true });
const offerInternals: FieldPolicy = staff();
/** Campaign results, like campaignMetrics: business figures, no personal data. */
const campaignFigures: FieldPolicy = { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true };

/** Root fields. Object-level checks (whose customer) then apply to whatever they return. */
export const QUERY_POLICY: Record<string, FieldPolicy> = {
  node: everyone(Scope.CUSTOMERS_READ),
  nodes: everyone(Scope.CUSTOMERS_READ),
  customer: everyone(Scope.CUSTOMERS_READ),
  me: { [CUSTOMER]: true },
  // A lookup by email or phone is a personal-data oracle: only for those who may see contact data anyway.
  customerByIdentifier: { [ADMIN]: true, [SUPPORT]: true, [PARTNER]: { scope: Scope.CUSTOMERS_CONTACT } },
  customers: staff({ [PARTNER]: { scope: Scope.CUSTOMERS_READ } }),
  product: everyone(Scope.CUSTOMERS_READ),
  products: everyone(Scope.CUSTOMERS_READ),
  exportCustomerData: { [ADMIN]: true, [CUSTOMER]: true },
  auditLog: { [ADMIN]: true },
  apiKeys: { [ADMIN]: true },
  segments: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  segment: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  // Aggregates only (no personal data), but business figures: not for support, partners or customers.
  feedbackSummary: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  campaignMetrics: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  // Each analytics run's aggregate figures (counts, rates, totals, model fit): business figures, no personal data.
  analyticsHistory: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  // Marketing's catalogue of offers and campaigns (no personal data); analysts read it to report on it.
  offers: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  offer: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  campaigns: { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true },
  // Merging is support work (DESIGN.md): the preview shows both profiles' personal data.
  previewMerge: { [ADMIN]: true, [SUPPORT]: true },
  // A partner sees its own key's endpoints and their delivery log; an admin sees all.
  webhookEndpoints: { [ADMIN]: true, [PARTNER]: true },
  webhookDeliveries: { [ADMIN]: true, [PARTNER]: true },
  // Triggers (README "Triggers") are marketing automation: marketing builds them, admin oversees.
  triggers: { [ADMIN]: true, [MARKETING]: true },
  triggerFirings: { [ADMIN]: true, [MARKETING]: true },
  // What triggers ask support to do: support work.
  supportTasks: { [ADMIN]: true, [SUPPORT]: true },
};

/**
 * Outbox event types, and who may receive each through a webhook: the same grant as reading what
 * the event is about (a partner needs the scope of that data, and every delivery to a partner also
 * needs the customer's consent to THIRD_PARTY_SHARING in force at the attempt). Segment and lifecycle
 * events reveal computed metrics, which only staff read: admin endpoints only.
 */
export const EVENT_POLICY: Record<string, FieldPolicy> = {
  'customer.created': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
  'customer.updated': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
  'customer.merged': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
  'customer.unmerged': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
  'customer.erased': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
  'consent.changed': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
  'order.recorded': { [ADMIN]: true, [PARTNER]: { scope: Scope.ORDERS_READ } },
  'interaction.recorded': { [ADMIN]: true, [PARTNER]: { scope: Scope.INTERACTIONS_READ } },
  'offer.responded': { [ADMIN]: true, [PARTNER]: { scope: Scope.INTERACTIONS_READ } },
  'feedback.recorded': { [ADMIN]: true, [PARTNER]: { scope: Scope.FEEDBACK_READ } },
  'feedback.status_changed': { [ADMIN]: true, [PARTNER]: { scope: Scope.FEEDBACK_READ } },
  'segment.entered': { [ADMIN]: true },
  'segment.exited': { [ADMIN]: true },
  'lifecycle.changed': { [ADMIN]: true },
  // Sent only by a WEBHOOK trigger to its one endpoint (never subscribed to); to a partner's endpoint
  // like any customer event: its key needs customers:read and the customer THIRD_PARTY_SHARING.
  'trigger.fired': { [ADMIN]: true, [PARTNER]: { scope: Scope.CUSTOMERS_READ } },
};

/** Mutations. For the customer role the input must name their own customer (checked by the rule). */
export const MUTATION_POLICY: Record<string, FieldPolicy> = {
  upsertCustomer: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true },
  recordOrder: { [ADMIN]: true, [SUPPORT]: true, [PARTNER]: { scope: Scope.EVENTS_WRITE } },
  recordInteraction: { [ADMIN]: true, [SUPPORT]: true, [PARTNER]: { scope: Scope.EVENTS_WRITE } },
  // Batch ingestion. Per event, IDENTIFY further needs ACTION_POLICY identifyProfiles (partners: with
  // profiles:write), several identifiers need linkIdentifiers, automatic merges need mergeCustomers
  // (partners: never), and results name the customer only for customerByIdentifier.
  ingestEvents: { [ADMIN]: true, [SUPPORT]: true, [PARTNER]: { scope: Scope.EVENTS_WRITE } },
  recordFeedback: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true, [PARTNER]: { scope: Scope.EVENTS_WRITE } },
  updateFeedbackStatus: { [ADMIN]: true, [SUPPORT]: true },
  setConsent: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true },
  upsertProduct: { [ADMIN]: true },
  eraseCustomer: { [ADMIN]: true },
  createApiKey: { [ADMIN]: true },
  revokeApiKey: { [ADMIN]: true },
  rotateApiKey: { [ADMIN]: true },
  createSegment: { [ADMIN]: true, [MARKETING]: true },
  updateSegment: { [ADMIN]: true, [MARKETING]: true },
  deleteSegment: { [ADMIN]: true, [MARKETING]: true },
  recomputeAnalytics: { [ADMIN]: true },
  createCampaign: { [ADMIN]: true, [MARKETING]: true },
  updateCampaign: { [ADMIN]: true, [MARKETING]: true },
  createOffer: { [ADMIN]: true, [MARKETING]: true },
  updateOffer: { [ADMIN]: true, [MARKETING]: true },
  // Responses are facts from where the offer was presented: the agent (support), the customer's own
  // session (web shop) or a delivery system (partner with events:write). Not marketing, whose own
  // campaign results they would be: a forged acceptance would steer the ranking.
  recordOfferResponse: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true, [PARTNER]: { scope: Scope.EVENTS_WRITE } },
  mergeCustomers: { [ADMIN]: true, [SUPPORT]: true },
  unmergeCustomers: { [ADMIN]: true, [SUPPORT]: true },
  // The customer states their own; support records what a customer says on the phone.
  setPreferences: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true },
  // Webhooks: an admin for any endpoint, a partner key for its own (the service checks ownership, and
  // that each event type subscribed is one EVENT_POLICY lets the key receive).
  createWebhookEndpoint: { [ADMIN]: true, [PARTNER]: true },
  updateWebhookEndpoint: { [ADMIN]: true, [PARTNER]: true },
  deleteWebhookEndpoint: { [ADMIN]: true, [PARTNER]: true },
  replayWebhookDelivery: { [ADMIN]: true, [PARTNER]: true },
  createTrigger: { [ADMIN]: true, [MARKETING]: true },
  updateTrigger: { [ADMIN]: true, [MARKETING]: true },
  deleteTrigger: { [ADMIN]: true, [MARKETING]: true },
  setSupportTaskStatus: { [ADMIN]: true, [SUPPORT]: true },
};

/**
 * Subscriptions (graphql-ws at /graphql). For the customer role the argument must name their own
 * customer; every delivered event is then resolved under the type rules below, like any read.
 */
export const SUBSCRIPTION_POLICY: Record<string, FieldPolicy> = {
  customerActivity: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true },
};

/**
 * What a write may do beyond the field it calls, where no field of its own names it. Same shape and
 * meaning as the tables above; the resolvers ask `holdsGrant` before they let a write do it.
 */
export const ACTION_POLICY: Record<string, FieldPolicy> = {
  // Learn which customer an identifier belongs to: what customerByIdentifier answers, and so also the
  // customer ids in ingestEvents results and in conflicts, and the ids of rows an event named by
  // identifiers produced (node(id) { customer } would tell). Others get answers that do not depend on
  // whether anyone else holds an identifier they send.
  lookUpByIdentifier: QUERY_POLICY.customerByIdentifier,
  // Create and update profiles through the ingestion core (an IDENTIFY event: ingestEvents, the tracking
  // API's identify and alias). As upsertCustomer, plus a first-party source's key (profiles:write; its
  // events also need events:write). Not the upsertCustomer mutation itself for that key: its payload
  // says whether the profile existed (`created`) and returns it, where an event's result names no
  // customer (lookUpByIdentifier) and says only ACCEPTED, DUPLICATE or REJECTED.
  identifyProfiles: { ...MUTATION_POLICY.upsertCustomer, [PARTNER]: { scope: Scope.PROFILES_WRITE } },
  // Change the identity graph: name a customer by several identifiers in one write, so that the ones
  // new to it are linked to it. A customer may link identifiers to their own profile only
  // (upsertCustomer checks the id). Other partners may not: an event of theirs names one identifier (or
  // a customerId) and is matched by it, or makes a new profile holding just it. A first-party source
  // (profiles:write) links the identifiers of the person its event names (userId, email, phone,
  // anonymousId: Segment's identify and alias), never merging two profiles (no mergeCustomers) and,
  // without lookUpByIdentifier, never told whose an identifier is: identifiers another profile holds
  // are then neither linked, merged nor reported (identify.ts), so every answer is the same whoever
  // holds them.
  linkIdentifiers: { [ADMIN]: true, [SUPPORT]: true, [CUSTOMER]: true, [PARTNER]: { scope: Scope.PROFILES_WRITE } },
};

/** Fields of customer-owned types. Every one of them also requires object-level access to its customer. */
/**
 * Apollo Federation's entry points, served only with FEDERATION=on (README "Federation").
 * `_entities` answers each representation as `node(id)` would (null where the viewer may not see the
 * object), under node's grant; `_service` gives the subgraph's SDL, to staff as introspection is.
 */
export const FEDERATION_QUERY_POLICY: Record<string, FieldPolicy> = {
  _entities: everyone(Scope.CUSTOMERS_READ),
  _service: staff(),
};
export const FEDERATION_TYPE_POLICY: Record<string, Record<string, FieldPolicy>> = {
  _Service: { sdl: staff() },
};

export const TYPE_POLICY: Record<string, Record<string, FieldPolicy>> = {
  Customer: {
    id: everyone(Scope.CUSTOMERS_READ),
    status: everyone(Scope.CUSTOMERS_READ),
    locale: everyone(Scope.CUSTOMERS_READ),
    createdAt: everyone(Scope.CUSTOMERS_READ),
    updatedAt: everyone(Scope.CUSTOMERS_READ),
    firstSeenAt: everyone(Scope.CUSTOMERS_READ),
    lastSeenAt: everyone(Scope.CUSTOMERS_READ),
    firstName: { ...directPii, [MARKETING]: { consent: ANY_CONTACT_CONSENT }, [PARTNER]: { scope: Scope.CUSTOMERS_CONTACT } },
    lastName: { ...directPii, [MARKETING]: { consent: ANY_CONTACT_CONSENT }, [PARTNER]: { scope: Scope.CUSTOMERS_CONTACT } },
    email: { ...directPii, [MARKETING]: { consent: EMAIL_CONSENT }, [PARTNER]: { scope: Scope.CUSTOMERS_CONTACT } },
    phone: { ...directPii, [MARKETING]: { consent: PHONE_CONSENT }, [PARTNER]: { scope: Scope.CUSTOMERS_CONTACT } },
    birthDate: directPii,
    address: directPii,
    traits: directPii,
    identities: directPii,
    orders: everyone(Scope.ORDERS_READ),
    interactions: everyone(Scope.INTERACTIONS_READ),
    feedback: everyone(Scope.FEEDBACK_READ),
    consents: everyone(Scope.CUSTOMERS_READ),
    // Computed value and churn risk: for staff, not for partners or the customer. Model-based scores are
    // withheld for customers who objected to PROFILING (PROFILING_OBJECTION).
    value: staff(),
    // The ledger of lifecycle-stage changes: as value (stages are model-based, so withheld on a PROFILING objection).
    lifecycleHistory: staff(),
    // Mixes every kind of history: for those who may read all of it (each item's fields keep their own rules).
    timeline: staff({ [CUSTOMER]: true }),
    // Per-person targeting: for those who present offers (and the customer), not analysts or partners.
    nextBestOffers: nbo,
    // The merge ledger: support work. Provenance names sources and times of personal data, not the
    // values: shown to those who may see the values themselves.
    merges: { [ADMIN]: true, [SUPPORT]: true },
    provenance: directPii,
    // Each part keeps its own rule (stated: contact-like data; inferred: profiling).
    preferences: staff({ [CUSTOMER]: true }),
    // Personalisation output, gated on the customer's PERSONALIZATION consent in the data itself. Not for
    // partners: a recommendation list is a profile of the customer's tastes, beyond any scope they hold.
    recommendations: staff({ [CUSTOMER]: true }),
  },
  Identity: {
    kind: directPii, namespace: directPii, value: directPii, source: directPii, createdAt: directPii,
  },
  Order: {
    id: everyone(Scope.ORDERS_READ), customer: everyone(Scope.ORDERS_READ), externalId: everyone(Scope.ORDERS_READ),
    source: everyone(Scope.ORDERS_READ), placedAt: everyone(Scope.ORDERS_READ), channel: everyone(Scope.ORDERS_READ),
    status: everyone(Scope.ORDERS_READ), subtotal: everyone(Scope.ORDERS_READ), discount: everyone(Scope.ORDERS_READ),
    total: everyone(Scope.ORDERS_READ), lines: everyone(Scope.ORDERS_READ), createdAt: everyone(Scope.ORDERS_READ),
  },
  OrderLine: {
    position: everyone(Scope.ORDERS_READ), quantity: everyone(Scope.ORDERS_READ), unitPrice: everyone(Scope.ORDERS_READ), lineTotal: everyone(Scope.ORDERS_READ), product: everyone(Scope.ORDERS_READ),
  },
  Interaction: {
    id: everyone(Scope.INTERACTIONS_READ), customer: everyone(Scope.INTERACTIONS_READ), occurredAt: everyone(Scope.INTERACTIONS_READ),
    channel: everyone(Scope.INTERACTIONS_READ), type: everyone(Scope.INTERACTIONS_READ), product: everyone(Scope.INTERACTIONS_READ),
    campaign: everyone(Scope.INTERACTIONS_READ), source: everyone(Scope.INTERACTIONS_READ), sourceEventId: everyone(Scope.INTERACTIONS_READ),
    createdAt: everyone(Scope.INTERACTIONS_READ),
    // Free-form event payloads (chat transcripts, search terms): not for marketing or analysts.
    properties: { ...directPii, [PARTNER]: { scope: Scope.INTERACTIONS_READ } },
  },
  Feedback: {
    id: everyone(Scope.FEEDBACK_READ), customer: everyone(Scope.FEEDBACK_READ), kind: everyone(Scope.FEEDBACK_READ),
    score: everyone(Scope.FEEDBACK_READ), topic: everyone(Scope.FEEDBACK_READ), channel: everyone(Scope.FEEDBACK_READ),
    product: everyone(Scope.FEEDBACK_READ), status: everyone(Scope.FEEDBACK_READ), submittedAt: everyone(Scope.FEEDBACK_READ),
    resolvedAt: everyone(Scope.FEEDBACK_READ), createdAt: everyone(Scope.FEEDBACK_READ),
    // What the customer wrote: support work, never marketing, analysts or partners.
    text: directPii,
  },
  ConsentRecord: Object.fromEntries(
    ['id', 'customer', 'purpose', 'channel', 'status', 'lawfulBasis', 'source', 'policyVersion', 'recordedAt', 'expiresAt'].map((f) => [f, everyone(Scope.CUSTOMERS_READ)]),
  ),
  CustomerConsents: { current: everyone(Scope.CUSTOMERS_READ), history: everyone(Scope.CUSTOMERS_READ) },
  // Expected value reveals what the offer is worth to the business: not for the customer.
  NextBestOffer: { offer: nbo, score: nbo, pAccept: nbo, reason: nbo, expectedValue: { [ADMIN]: true, [SUPPORT]: true, [MARKETING]: true } },
  // Not customer-owned. What the customer is offered (terms) vs. how marketing targets and values it.
  Offer: {
    ...Object.fromEntries(['id', 'code', 'name', 'description', 'goal', 'discountPercent', 'discount', 'channels', 'startsAt', 'endsAt', 'maxAcceptancesPerCustomer'].map((f) => [f, offerTerms])),
    ...Object.fromEntries(['campaign', 'value', 'targetSegments', 'consentPurpose', 'status', 'stats', 'createdAt', 'updatedAt', 'variantWeight'].map((f) => [f, offerInternals])),
  },
  Campaign: Object.fromEntries(['id', 'code', 'name', 'description', 'channels', 'startsAt', 'endsAt', 'status', 'createdAt', 'updatedAt',
    'controlPercent', 'attributionWindowDays', 'cost'].map((f) => [f, offerInternals])),
  // Campaign results: aggregates for those who read campaign metrics. Converters are people: marketing
  // acts on them and admin oversees; analysts keep to aggregates. Each customer's fields keep their rules.
  CampaignResults: Object.fromEntries(['currency', 'controlPercent', 'attributionWindowDays', 'exposed', 'control', 'uplift', 'relativeUplift', 'revenuePerCustomerUplift',
    'incrementalRevenueMinor', 'incrementalConversions', 'verdict', 'costMinor', 'discountsMinor', 'roi', 'variants', 'offers'].map((f) => [f, campaignFigures])),
  CampaignGroupFigures: Object.fromEntries(['customers', 'converters', 'conversionRate', 'revenueMinor', 'revenuePerCustomer', 'attributedRevenueMinor',
    'attributedRevenuePerCustomer', 'accepted', 'acceptanceRate'].map((f) => [f, campaignFigures])),
  CampaignVariantResult: Object.fromEntries(['offer', 'weight', 'exposed', 'uplift', 'relativeUplift', 'revenuePerCustomerUplift', 'incrementalRevenueMinor',
    'incrementalConversions', 'verdict', 'acceptanceVsBaseline', 'attributedRevenueVsBaseline', 'comparison'].map((f) => [f, campaignFigures])),
  CampaignOfferResult: {
    ...Object.fromEntries(['offer', 'attributedOrders', 'converterCount', 'attributedRevenueMinor'].map((f) => [f, campaignFigures])),
    converters: { [ADMIN]: true, [MARKETING]: true },
  },
  ConfidenceInterval: Object.fromEntries(['estimate', 'low', 'high'].map((f) => [f, campaignFigures])),
  CustomerMerge: Object.fromEntries(
    ['id', 'survivor', 'loser', 'reason', 'actor', 'automatic', 'createdAt', 'undoneAt', 'undoneBy', 'moves'].map((f) => [f, { [ADMIN]: true, [SUPPORT]: true }]),
  ),
  // Stated preferences: what the customer told us, for those who serve them and for marketing (that is
  // what they are stated for); not analysts or partners.
  CustomerPreferences: { stated: statedPreferences, inferred: staff({ [CUSTOMER]: true }) },
  StatedPreference: { kind: statedPreferences, value: statedPreferences, source: statedPreferences, statedAt: statedPreferences },
  // Inferred (profiling) output: staff and the customer, never partners; empty unless PERSONALIZATION is granted.
  InferredPreferences: Object.fromEntries(['available', 'unavailableReason', 'categories', 'brands'].map((f) => [f, staff({ [CUSTOMER]: true })])),
  InferredPreference: Object.fromEntries(['value', 'score', 'basis', 'purchasedUnits', 'views'].map((f) => [f, staff({ [CUSTOMER]: true })])),
  // A trigger's firing for a customer: for those who run triggers and those who serve the customer. Not
  // analysts, partners or the customer (a firing reveals targeting, e.g. a lifecycle stage).
  TriggerFiring: Object.fromEntries(['id', 'triggerId', 'customerId', 'eventId', 'eventType', 'status', 'reason', 'dueAt', 'decidedAt', 'createdAt']
    .map((f) => [f, { [ADMIN]: true, [SUPPORT]: true, [MARKETING]: true }])),
  SupportTask: Object.fromEntries(['id', 'customerId', 'title', 'note', 'eventType', 'status', 'createdAt'].map((f) => [f, { [ADMIN]: true, [SUPPORT]: true }])),
  CustomerRecommendations: Object.fromEntries(['available', 'unavailableReason', 'items'].map((f) => [f, staff({ [CUSTOMER]: true })])),
  Recommendation: Object.fromEntries(['product', 'score', 'source', 'because', 'becauseCategory', 'explanation'].map((f) => [f, staff({ [CUSTOMER]: true })])),
  // Segments (reached from the segment roots and Offer.targetSegments): staff. Their members filtered by
  // consent (README "Exports") are a send list: for those who send (marketing) and admin, not analysts.
  Segment: {
    ...Object.fromEntries(['id', 'name', 'description', 'rule', 'memberCount', 'evaluatedAt', 'createdAt', 'updatedAt', 'customers', 'entered', 'left'].map((f) => [f, staff()])),
    members: { [ADMIN]: true, [MARKETING]: true },
  },
  SegmentMember: Object.fromEntries(['customer', 'enteredAt', 'consent'].map((f) => [f, { [ADMIN]: true, [MARKETING]: true }])),
  // Live segment and lifecycle events (customerActivity): read as segments and as Customer.lifecycleHistory are.
  SegmentMembershipChange: Object.fromEntries(['eventId', 'customer', 'segment', 'change', 'at'].map((f) => [f, { [ADMIN]: true, [MARKETING]: true, [ANALYST]: true }])),
  LifecycleStageChange: Object.fromEntries(['eventId', 'customer', 'from', 'to', 'at'].map((f) => [f, staff()])),
};

/**
 * Contact fields (and the customers column each reads) that a use beyond serving the person — a role
 * whose grant is a consent or a scope: marketing, partners — reads only where the address is the
 * customer's own to be reached at: not an identifier another profile holds, nor an erased person's
 * (src/auth/own-contact.ts). Otherwise the field is refused (FORBIDDEN, reason NOT_OWN_CONTACT), per
 * customer, with one reason for both cases so that the answer names no one. Those who serve the customer
 * (admin, support) and the customer see the field as it was stated. The exports and `Segment.members`
 * leave such members out by the same definition.
 */
export const OWN_CONTACT_FIELDS: Record<string, Record<string, 'email' | 'phone'>> = {
  Customer: { email: 'email', phone: 'phone' },
};

/**
 * The customers column whose address must be the customer's own for `role` to read `type.field`
 * (OWN_CONTACT_FIELDS under a consent or scope grant), else undefined. The field rule checks it; the
 * read planner computes it in its statement for the rule to read.
 */
export function ownContactColumn(type: string, field: string, role: Role): 'email' | 'phone' | undefined {
  const column = OWN_CONTACT_FIELDS[type]?.[field];
  const grant = TYPE_POLICY[type]?.[field]?.[role];
  return column && grant !== undefined && grant !== true ? column : undefined;
}

/** Fields whose values are personal data: every read of them is written to the audit log. */
export const PII_FIELDS: Record<string, readonly string[]> = {
  Customer: ['firstName', 'lastName', 'email', 'phone', 'birthDate', 'address', 'traits', 'identities'],
  Feedback: ['text'],
  Interaction: ['properties'],
  CustomerPreferences: ['stated'],
};

/** Types whose every field needs object-level access to the customer they belong to. */
export const CUSTOMER_OWNED_TYPES = ['Customer', 'Identity', 'Order', 'OrderLine', 'Interaction', 'Feedback', 'ConsentRecord', 'CustomerConsents', 'NextBestOffer', 'CustomerMerge',
  'CustomerPreferences', 'StatedPreference', 'InferredPreferences', 'InferredPreference', 'CustomerRecommendations', 'Recommendation',
  'SegmentMember', 'SegmentMembershipChange', 'LifecycleStageChange', 'TriggerFiring', 'SupportTask'] as const;

/**
 * Segment rules are filters too, and a member list shows who matches: a `trait` condition reads
 * Customer.traits, so createSegment/updateSegment accept one only from a role or key that may read
 * traits (holdsGrant on TYPE_POLICY.Customer.traits), or for a key the configuration lists in
 * SEGMENT_TRAIT_KEYS (trait keys an administrator judged fit for marketing: a plan, a loyalty flag).
 * Refused: FORBIDDEN, reason PII_FILTER. `country` stays open to those who may write segments: the one
 * part of the address marketing targets by (markets, regional consent rules), which identifies no one alone.
 */
export const SEGMENT_TRAIT_FIELD = { type: 'Customer', field: 'traits' } as const;

/** Argument-level limits: filters that would reveal personal data through matching. */
export const PII_FILTER_ROLES: readonly Role[] = [ADMIN, SUPPORT];
/** Filtering or sorting by metrics or segment reveals them: only for roles that may read Customer.value. */
export const METRICS_FILTER_ROLES: readonly Role[] = [ADMIN, SUPPORT, MARKETING, ANALYST];

/** Does the viewer hold this grant outright (role listed; scope held by a partner key)? Consent grants are per customer: false here. */
export function holdsGrant(policy: FieldPolicy, viewer: { role: Role; scopes?: Scope[] }): boolean {
  const grant = policy[viewer.role];
  if (grant === true) return true;
  if (grant && 'scope' in grant) return viewer.scopes?.includes(grant.scope) ?? false;
  return false;
}
