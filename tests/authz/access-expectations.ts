/**
 * The INTENDED access, written by hand and reviewed on its own: who may read and write every field of
 * the served schema. It does not import src/auth/policy.ts on purpose. The matrix tests
 * (field-matrix.test.ts, root-operations.test.ts) probe the served schema over HTTP and compare what
 * they get with this file, and `access-expectations.test.ts` checks it against the invariants at the
 * bottom. A permission change therefore takes two edits (the policy and this file), and review sees
 * both; a field the schema serves that is missing here fails the tests until someone states who may
 * read it.
 *
 * Reading a grant:
 *  - `true`: the role may read it (once it may see the object: its own profile for a customer, a
 *    customer who shares with third parties for a partner);
 *  - `{ consent }`: marketing, only for customers whose current consent covers that contact channel
 *    (`email`: EMAIL_MARKETING by email; `phone`: SMS or phone marketing; `any-contact`: either);
 *  - `{ scope }`: a partner, only with an API key holding that scope.
 * A role absent from an entry is refused (FORBIDDEN, reason ROLE).
 */

export type RoleName = 'admin' | 'support' | 'marketing' | 'analyst' | 'partner' | 'customer';
export type ScopeName = 'customers:read' | 'customers:contact' | 'orders:read' | 'interactions:read' | 'feedback:read' | 'events:write' | 'profiles:write';
export type ConsentName = 'email' | 'phone' | 'any-contact';
export type ExpectedGrant = true | { consent: ConsentName } | { scope: ScopeName };
export type ExpectedAccess = Partial<Record<RoleName, ExpectedGrant>>;
/** A type guarded as a whole (`any signed-in viewer`, `admin only`), or field by field. */
export type ExpectedType = 'authenticated' | 'admin' | Record<string, ExpectedAccess>;

export const ALL_ROLES: readonly RoleName[] = ['admin', 'support', 'marketing', 'analyst', 'partner', 'customer'];

// Shorthands for the groups that recur; every entry below still names its group explicitly.
const only = (...roles: RoleName[]): ExpectedAccess => Object.fromEntries(roles.map((r) => [r, true]));
/** The four staff roles. */
const STAFF: RoleName[] = ['admin', 'support', 'marketing', 'analyst'];
/** Staff, the customer themself, and partners holding `scope`. */
const allWith = (scope: ScopeName): ExpectedAccess => ({ ...only(...STAFF, 'customer'), partner: { scope } });
/** Those who serve the person (admin, support) and the person. */
const PERSONAL = only('admin', 'support', 'customer');
const contact = (consent: ConsentName): ExpectedAccess => ({ ...PERSONAL, marketing: { consent }, partner: { scope: 'customers:contact' } });
const fields = (names: string[], access: ExpectedAccess) => Object.fromEntries(names.map((n) => [n, access]));

export const EXPECTED_QUERIES: Record<string, ExpectedAccess> = {
  node: allWith('customers:read'),
  nodes: allWith('customers:read'),
  customer: allWith('customers:read'),
  me: only('customer'),
  customerByIdentifier: { ...only('admin', 'support'), partner: { scope: 'customers:contact' } },
  customers: { ...only(...STAFF), partner: { scope: 'customers:read' } },
  product: allWith('customers:read'),
  products: allWith('customers:read'),
  exportCustomerData: only('admin', 'customer'),
  auditLog: only('admin'),
  apiKeys: only('admin'),
  segments: only('admin', 'marketing', 'analyst'),
  segment: only('admin', 'marketing', 'analyst'),
  feedbackSummary: only('admin', 'marketing', 'analyst'),
  campaignMetrics: only('admin', 'marketing', 'analyst'),
  // Aggregate figures of past analytics runs: business figures, no personal data.
  analyticsHistory: only('admin', 'marketing', 'analyst'),
  offers: only('admin', 'marketing', 'analyst'),
  offer: only('admin', 'marketing', 'analyst'),
  campaigns: only('admin', 'marketing', 'analyst'),
  previewMerge: only('admin', 'support'),
  // A partner key manages its own webhooks (the service checks ownership): no scope needed.
  webhookEndpoints: only('admin', 'partner'),
  webhookDeliveries: only('admin', 'partner'),
  // Triggers: marketing automation, run by marketing and overseen by admin. Support tasks: support work.
  triggers: only('admin', 'marketing'),
  triggerFirings: only('admin', 'marketing'),
  supportTasks: only('admin', 'support'),
};

export const EXPECTED_MUTATIONS: Record<string, ExpectedAccess> = {
  upsertCustomer: PERSONAL,
  setConsent: PERSONAL,
  setPreferences: PERSONAL,
  recordFeedback: { ...PERSONAL, partner: { scope: 'events:write' } },
  recordOfferResponse: { ...PERSONAL, partner: { scope: 'events:write' } },
  recordOrder: { ...only('admin', 'support'), partner: { scope: 'events:write' } },
  recordInteraction: { ...only('admin', 'support'), partner: { scope: 'events:write' } },
  ingestEvents: { ...only('admin', 'support'), partner: { scope: 'events:write' } },
  updateFeedbackStatus: only('admin', 'support'),
  mergeCustomers: only('admin', 'support'),
  unmergeCustomers: only('admin', 'support'),
  createSegment: only('admin', 'marketing'),
  updateSegment: only('admin', 'marketing'),
  deleteSegment: only('admin', 'marketing'),
  createCampaign: only('admin', 'marketing'),
  updateCampaign: only('admin', 'marketing'),
  createOffer: only('admin', 'marketing'),
  updateOffer: only('admin', 'marketing'),
  upsertProduct: only('admin'),
  eraseCustomer: only('admin'),
  createApiKey: only('admin'),
  revokeApiKey: only('admin'),
  rotateApiKey: only('admin'),
  recomputeAnalytics: only('admin'),
  createWebhookEndpoint: only('admin', 'partner'),
  updateWebhookEndpoint: only('admin', 'partner'),
  deleteWebhookEndpoint: only('admin', 'partner'),
  replayWebhookDelivery: only('admin', 'partner'),
  createTrigger: only('admin', 'marketing'),
  updateTrigger: only('admin', 'marketing'),
  deleteTrigger: only('admin', 'marketing'),
  setSupportTaskStatus: only('admin', 'support'),
};

export const EXPECTED_SUBSCRIPTIONS: Record<string, ExpectedAccess> = {
  customerActivity: PERSONAL,
};

export const EXPECTED_TYPES: Record<string, ExpectedType> = {
  Customer: {
    ...fields(['id', 'status', 'locale', 'createdAt', 'updatedAt', 'firstSeenAt', 'lastSeenAt', 'consents'], allWith('customers:read')),
    firstName: contact('any-contact'),
    lastName: contact('any-contact'),
    email: contact('email'),
    phone: contact('phone'),
    ...fields(['birthDate', 'address', 'traits', 'identities', 'provenance'], PERSONAL),
    orders: allWith('orders:read'),
    interactions: allWith('interactions:read'),
    feedback: allWith('feedback:read'),
    value: only(...STAFF),
    // Stages are model outputs, as `value` is: staff only (a PROFILING objection hides them inside).
    lifecycleHistory: only(...STAFF),
    timeline: only(...STAFF, 'customer'),
    nextBestOffers: only('admin', 'support', 'marketing', 'customer'),
    merges: only('admin', 'support'),
    preferences: only(...STAFF, 'customer'),
    recommendations: only(...STAFF, 'customer'),
  },
  Identity: fields(['kind', 'namespace', 'value', 'source', 'createdAt'], PERSONAL),
  Order: fields(['id', 'customer', 'externalId', 'source', 'placedAt', 'channel', 'status', 'subtotal', 'discount', 'total', 'lines', 'createdAt'], allWith('orders:read')),
  OrderLine: fields(['position', 'quantity', 'unitPrice', 'lineTotal', 'product'], allWith('orders:read')),
  Interaction: {
    ...fields(['id', 'customer', 'occurredAt', 'channel', 'type', 'product', 'campaign', 'source', 'sourceEventId', 'createdAt'], allWith('interactions:read')),
    properties: { ...PERSONAL, partner: { scope: 'interactions:read' } },
  },
  Feedback: {
    ...fields(['id', 'customer', 'kind', 'score', 'topic', 'channel', 'product', 'status', 'submittedAt', 'resolvedAt', 'createdAt'], allWith('feedback:read')),
    text: PERSONAL,
  },
  ConsentRecord: fields(['id', 'customer', 'purpose', 'channel', 'status', 'lawfulBasis', 'source', 'policyVersion', 'recordedAt', 'expiresAt'], allWith('customers:read')),
  CustomerConsents: fields(['current', 'history'], allWith('customers:read')),
  NextBestOffer: {
    ...fields(['offer', 'score', 'pAccept', 'reason'], only('admin', 'support', 'marketing', 'customer')),
    expectedValue: only('admin', 'support', 'marketing'),
  },
  Offer: {
    ...fields(['id', 'code', 'name', 'description', 'goal', 'discountPercent', 'discount', 'channels', 'startsAt', 'endsAt', 'maxAcceptancesPerCustomer'], only(...STAFF, 'customer')),
    ...fields(['campaign', 'value', 'targetSegments', 'consentPurpose', 'status', 'stats', 'createdAt', 'updatedAt', 'variantWeight'], only(...STAFF)),
  },
  Campaign: fields(['id', 'code', 'name', 'description', 'channels', 'startsAt', 'endsAt', 'status', 'createdAt', 'updatedAt', 'controlPercent', 'attributionWindowDays', 'cost'], only(...STAFF)),
  // Campaign results: business figures for those who read campaign metrics; the converters are people
  // (marketing acts on them, admin oversees), so analysts keep to the aggregates.
  CampaignResults: fields(['currency', 'controlPercent', 'attributionWindowDays', 'exposed', 'control', 'uplift', 'relativeUplift', 'revenuePerCustomerUplift',
    'incrementalRevenueMinor', 'incrementalConversions', 'verdict', 'costMinor', 'discountsMinor', 'roi', 'variants', 'offers'], only('admin', 'marketing', 'analyst')),
  CampaignGroupFigures: fields(['customers', 'converters', 'conversionRate', 'revenueMinor', 'revenuePerCustomer', 'attributedRevenueMinor',
    'attributedRevenuePerCustomer', 'accepted', 'acceptanceRate'], only('admin', 'marketing', 'analyst')),
  CampaignVariantResult: fields(['offer', 'weight', 'exposed', 'uplift', 'relativeUplift', 'revenuePerCustomerUplift', 'incrementalRevenueMinor',
    'incrementalConversions', 'verdict', 'acceptanceVsBaseline', 'attributedRevenueVsBaseline', 'comparison'], only('admin', 'marketing', 'analyst')),
  CampaignOfferResult: {
    ...fields(['offer', 'attributedOrders', 'converterCount', 'attributedRevenueMinor'], only('admin', 'marketing', 'analyst')),
    converters: only('admin', 'marketing'),
  },
  ConfidenceInterval: fields(['estimate', 'low', 'high'], only('admin', 'marketing', 'analyst')),
  CustomerMerge: fields(['id', 'survivor', 'loser', 'reason', 'actor', 'automatic', 'createdAt', 'undoneAt', 'undoneBy', 'moves'], only('admin', 'support')),
  CustomerPreferences: { stated: only('admin', 'support', 'marketing', 'customer'), inferred: only(...STAFF, 'customer') },
  StatedPreference: fields(['kind', 'value', 'source', 'statedAt'], only('admin', 'support', 'marketing', 'customer')),
  InferredPreferences: fields(['available', 'unavailableReason', 'categories', 'brands'], only(...STAFF, 'customer')),
  InferredPreference: fields(['value', 'score', 'basis', 'purchasedUnits', 'views'], only(...STAFF, 'customer')),
  CustomerRecommendations: fields(['available', 'unavailableReason', 'items'], only(...STAFF, 'customer')),
  Recommendation: fields(['product', 'score', 'source', 'because', 'becauseCategory', 'explanation'], only(...STAFF, 'customer')),

  // Segments: staff (roots for admin, marketing, analysts; support through Offer.targetSegments). Members
  // filtered by consent are a send list (README "Exports"): for who sends (marketing) and admin.
  Segment: {
    ...fields(['id', 'name', 'description', 'rule', 'memberCount', 'evaluatedAt', 'createdAt', 'updatedAt', 'customers', 'entered', 'left'], only(...STAFF)),
    members: only('admin', 'marketing'),
  },
  SegmentMember: fields(['customer', 'enteredAt', 'consent'], only('admin', 'marketing')),
  // Live segment changes read as segments do; live lifecycle changes as Customer.lifecycleHistory (staff).
  SegmentMembershipChange: fields(['eventId', 'customer', 'segment', 'change', 'at'], only('admin', 'marketing', 'analyst')),
  LifecycleStageChange: fields(['eventId', 'customer', 'from', 'to', 'at'], only(...STAFF)),
  // A trigger's firing for a person reveals how they are targeted (e.g. a lifecycle stage): for those who
  // run triggers and those who serve the person; not analysts, partners or the person.
  TriggerFiring: fields(['id', 'triggerId', 'customerId', 'eventId', 'eventType', 'status', 'reason', 'dueAt', 'decidedAt', 'createdAt'], only('admin', 'support', 'marketing')),
  // A follow-up for support about a person: support work.
  SupportTask: fields(['id', 'customerId', 'title', 'note', 'eventType', 'status', 'createdAt'], only('admin', 'support')),

  // Administration: admins only.
  AuditEntry: 'admin',
  ApiKey: 'admin',
  CreatedApiKey: 'admin',

  // No personal data of their own, or reached only through a field guarded above: any signed-in viewer.
  ...Object.fromEntries([
    'Product', 'PostalAddress', 'Money', 'PageInfo', 'UpsertCustomerPayload', 'RecordOrderPayload', 'RecordInteractionPayload', 'EraseCustomerPayload',
    'CustomerValue', 'RfmScore', 'SegmentMembership', 'AnalyticsRun', 'TimelineConnection', 'TimelineEdge', 'FeedbackSummaryRow',
    'CampaignMetricsRow', 'MergePreview', 'MergedProfile', 'MergeMove', 'FieldChoice', 'FieldProvenance', 'MergeCustomersPayload',
    'UnmergeCustomersPayload', 'IgnoredIdentifier', 'OfferStats', 'SimilarProduct', 'IngestEventsPayload', 'IngestEventResult', 'IngestEventError',
    // Reached only through analyticsHistory and Customer.lifecycleHistory above.
    'AnalyticsHistoryEntry', 'AnalyticsHistoryEntryConnection', 'AnalyticsHistoryEntryEdge', 'CustomerLifecycleHistory', 'LifecycleTransition',
    'PurchaseModelFit', 'SegmentSize', 'StageCount', 'TierCount',
    // Reached only through the webhook roots above.
    'WebhookEndpoint', 'CreatedWebhookEndpoint', 'WebhookDelivery',
    // Reached only through the trigger roots above (admin, marketing).
    'Trigger',
    ...['Customer', 'Order', 'Interaction', 'Feedback', 'ConsentRecord', 'Product', 'AuditEntry', 'SegmentMembership', 'WebhookDelivery', 'SegmentMember', 'TriggerFiring', 'SupportTask'].flatMap((n) => [`${n}Connection`, `${n}Edge`]),
  ].map((t) => [t, 'authenticated' as const])),
};

/**
 * Hand-written invariants: what no edit of the tables above may break without changing this list too.
 * Each names fields (`Type.field`, or `Type.*` for every field of a type) and the only roles that may
 * hold any grant on them.
 */
export const INVARIANTS: Array<{ why: string; fields: string[]; onlyRoles: RoleName[] }> = [
  {
    why: 'Sensitive personal data (birth date, address, traits, identifiers, free text, provenance) is for those who serve the person and the person',
    fields: ['Customer.birthDate', 'Customer.address', 'Customer.traits', 'Customer.identities', 'Customer.provenance', 'Identity.*', 'Feedback.text'],
    onlyRoles: ['admin', 'support', 'customer'],
  },
  {
    why: 'Event payloads may go to partners holding interactions:read, never to marketing or analysts',
    fields: ['Interaction.properties'],
    onlyRoles: ['admin', 'support', 'customer', 'partner'],
  },
  {
    why: 'Computed value and churn risk are staff business figures: not for partners or the customer',
    fields: ['Customer.value', 'NextBestOffer.expectedValue', 'Offer.value', 'Offer.stats', 'Offer.targetSegments', 'Campaign.*', 'CampaignResults.*', 'CampaignGroupFigures.*', 'CampaignVariantResult.*', 'CampaignOfferResult.*', 'ConfidenceInterval.*'],
    onlyRoles: ['admin', 'support', 'marketing', 'analyst'],
  },
  {
    why: 'The merge ledger and previews show two profiles at once: support work',
    fields: ['Customer.merges', 'CustomerMerge.*', 'Query.previewMerge', 'Mutation.mergeCustomers', 'Mutation.unmergeCustomers'],
    onlyRoles: ['admin', 'support'],
  },
  {
    why: 'Administration, erasure and the audit log are admin-only',
    fields: ['Query.auditLog', 'Query.apiKeys', 'Mutation.eraseCustomer', 'Mutation.createApiKey', 'Mutation.revokeApiKey', 'Mutation.rotateApiKey', 'Mutation.recomputeAnalytics', 'Mutation.upsertProduct', 'AuditEntry.*', 'ApiKey.*', 'CreatedApiKey.*'],
    onlyRoles: ['admin'],
  },
  {
    why: 'A lookup by email or phone is a personal-data oracle: only for those who may see contact data without consent',
    fields: ['Query.customerByIdentifier'],
    onlyRoles: ['admin', 'support', 'partner'],
  },
  {
    why: 'Triggers and their firings are targeting: never for partners, analysts or the person',
    fields: ['Query.triggers', 'Query.triggerFirings', 'Mutation.createTrigger', 'Mutation.updateTrigger', 'Mutation.deleteTrigger', 'TriggerFiring.*', 'SupportTask.*', 'Query.supportTasks'],
    onlyRoles: ['admin', 'support', 'marketing'],
  },
  {
    why: 'Profiling output and per-person targeting never go to partners',
    fields: ['Customer.recommendations', 'Customer.preferences', 'Customer.nextBestOffers', 'CustomerPreferences.*', 'StatedPreference.*', 'InferredPreferences.*', 'InferredPreference.*', 'CustomerRecommendations.*', 'Recommendation.*', 'NextBestOffer.*'],
    onlyRoles: ['admin', 'support', 'marketing', 'analyst', 'customer'],
  },
];

/** Further rules on the kind of grant, not just who holds one. */
export const GRANT_INVARIANTS: Array<{ why: string; check: (type: string, field: string, role: RoleName, grant: ExpectedGrant) => boolean }> = [
  { why: 'marketing reads contact data only under the matching consent', check: (t, f, r, g) => !(t === 'Customer' && ['email', 'phone', 'firstName', 'lastName'].includes(f) && r === 'marketing') || (typeof g === 'object' && 'consent' in g) },
  {
    why: 'a partner holds nothing without a scope (except managing its own webhooks)',
    check: (t, f, r, g) => r !== 'partner' || (typeof g === 'object' && 'scope' in g) || (['Query', 'Mutation'].includes(t) && /webhook/i.test(f)),
  },
  { why: 'only marketing grants depend on consent', check: (_t, _f, r, g) => r === 'marketing' || !(typeof g === 'object' && 'consent' in g) },
];

// ---- Webhook events and write actions (who may receive / do them): compared with EVENT_POLICY and
// ACTION_POLICY by tests/unit/auth.test.ts. Events about data need that data's scope; computed metrics
// (segments, lifecycle) go to admin endpoints only.
export const EXPECTED_EVENTS: Record<string, ExpectedAccess> = {
  ...fields(['customer.created', 'customer.updated', 'customer.merged', 'customer.unmerged', 'customer.erased', 'consent.changed'], { admin: true, partner: { scope: 'customers:read' } }),
  'order.recorded': { admin: true, partner: { scope: 'orders:read' } },
  'interaction.recorded': { admin: true, partner: { scope: 'interactions:read' } },
  'offer.responded': { admin: true, partner: { scope: 'interactions:read' } },
  'feedback.recorded': { admin: true, partner: { scope: 'feedback:read' } },
  'feedback.status_changed': { admin: true, partner: { scope: 'feedback:read' } },
  ...fields(['segment.entered', 'segment.exited', 'lifecycle.changed'], only('admin')),
  // A trigger's own delivery (ids only) to its one endpoint; a partner's endpoint may be the target only of
  // conditions whose events its key already receives, and needs the profile scope like customer.* events.
  'trigger.fired': { admin: true, partner: { scope: 'customers:read' } },
};
export const EXPECTED_ACTIONS: Record<string, ExpectedAccess> = {
  // The identifier oracle: as customerByIdentifier.
  lookUpByIdentifier: { ...only('admin', 'support'), partner: { scope: 'customers:contact' } },
  // Creating and updating profiles through ingestion (IDENTIFY events, the tracking API's identify and
  // alias): those who may upsertCustomer, and a first-party source's key (profiles:write). Not the
  // upsertCustomer mutation for that key (EXPECTED_MUTATIONS): its payload says whether the profile existed.
  identifyProfiles: { ...PERSONAL, partner: { scope: 'profiles:write' } },
  // Linking identifiers changes the identity graph: those who serve the person, the person (their own
  // profile), and a first-party source's key (profiles:write) for the person its event names. No partner
  // key merges (mergeCustomers is not in any scope) nor, without customers:contact, learns whose one is.
  linkIdentifiers: { ...PERSONAL, partner: { scope: 'profiles:write' } },
};
// ---- end events and actions
