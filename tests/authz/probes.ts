/** The role × field matrix's probes (field-matrix.test.ts; the read planner's differential test runs them too). */

/** How to reach a type's fields from `customer(id:)`, and the sub-selection each object field needs. */
export const PATHS: Record<string, Array<[string, string]>> = {
  Customer: [],
  Identity: [['Customer', 'identities']],
  Order: [['Customer', 'orders']],
  OrderLine: [['Customer', 'orders'], ['Order', 'lines']],
  Interaction: [['Customer', 'interactions']],
  Feedback: [['Customer', 'feedback']],
  ConsentRecord: [['Customer', 'consents'], ['CustomerConsents', 'history']],
  CustomerConsents: [['Customer', 'consents']],
  CustomerMerge: [['Customer', 'merges']],
  CustomerPreferences: [['Customer', 'preferences']],
  StatedPreference: [['Customer', 'preferences'], ['CustomerPreferences', 'stated']],
  InferredPreferences: [['Customer', 'preferences'], ['CustomerPreferences', 'inferred']],
  InferredPreference: [['Customer', 'preferences'], ['CustomerPreferences', 'inferred'], ['InferredPreferences', 'categories']],
  CustomerRecommendations: [['Customer', 'recommendations']],
  Recommendation: [['Customer', 'recommendations'], ['CustomerRecommendations', 'items']],
};
const FIELD_ARGS: Record<string, string> = { orders: '(first: 1)', interactions: '(first: 1)', feedback: '(first: 1)', history: '(first: 1)', timeline: '(first: 1)', nextBestOffers: '(channel: WEB)' };
const CONNECTIONS = new Set(['orders', 'interactions', 'feedback', 'history']);
const SUBSELECTION: Record<string, string> = {
  address: '{ city }', identities: '{ kind }', orders: '{ totalCount }', interactions: '{ totalCount }', feedback: '{ totalCount }',
  consents: '{ __typename }', customer: '{ __typename }', subtotal: '{ amountMinor }', discount: '{ amountMinor }', total: '{ amountMinor }',
  'Customer.value': '{ modelVersion }', timeline: '{ totalCount }', nextBestOffers: '{ score }',
  merges: '{ __typename }', provenance: '{ field }', survivor: '{ __typename }', loser: '{ __typename }', moves: '{ rows }',
  preferences: '{ __typename }', stated: '{ kind }', inferred: '{ available }', categories: '{ value }', brands: '{ value }',
  recommendations: '{ available }', lifecycleHistory: '{ available }', items: '{ score }', because: '{ sku }',
  lines: '{ __typename }', unitPrice: '{ amountMinor }', lineTotal: '{ amountMinor }', product: '{ sku }', current: '{ __typename }', history: '{ totalCount }',
};

export function probeQuery(type: string, field: string): string {
  let inner = `${field}${FIELD_ARGS[field] ?? ''} ${SUBSELECTION[`${type}.${field}`] ?? SUBSELECTION[field] ?? ''}`;
  for (const [, step] of [...PATHS[type]].reverse()) {
    inner = CONNECTIONS.has(step) ? `${step}${FIELD_ARGS[step] ?? ''} { nodes { ${inner} } }` : `${step} { ${inner} }`;
  }
  return `query Probe($id: ID!) { customer(id: $id) { ${inner} } }`;
}

