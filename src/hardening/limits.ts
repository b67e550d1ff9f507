import {
  GraphQLError, Kind, SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef, getNamedType, getNullableType, isInterfaceType, isListType, isObjectType, valueFromASTUntyped,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';

/**
 * Static limits on a GraphQL document: depth, aliases, directives and duplicated fields, decided
 * before graphql-js' own validation rules run (`staticLimitBreach`; a breach answers HTTP 400
 * `GRAPHQL_VALIDATION_FAILED`), and the static cost (a plugin, as it depends on the variables). Every figure is measured over the operation with its fragments expanded (a fragment spread twice
 * counts twice), so fragments cannot be used to hide depth, aliases or directives.
 */

export type LimitName = 'depth' | 'aliases' | 'directives' | 'cost' | 'duplicates';

export function limitError(limit: LimitName, actual: number, max: number, node: OperationDefinitionNode | undefined, message: string): GraphQLError {
  return new GraphQLError(message, { nodes: node ? [node] : undefined, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, max, actual } });
}

/** Sums a per-selection-set measure over an operation, expanding fragments (memoised, cycle-safe). */
function measure(
  fragments: Map<string, FragmentDefinitionNode>,
  selectionSet: SelectionSetNode,
  combine: 'sum' | 'max',
  fieldValue: (field: FieldNode, childValue: number) => number,
  ownValue: (node: { directives?: readonly unknown[] }) => number = () => 0,
): number {
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();
  const visit = (set: SelectionSetNode): number => {
    let acc = 0;
    for (const sel of set.selections) {
      let v: number;
      if (sel.kind === Kind.FIELD) {
        v = fieldValue(sel, sel.selectionSet ? visit(sel.selectionSet) : 0) + ownValue(sel);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        v = visit(sel.selectionSet) + ownValue(sel);
      } else {
        const name = sel.name.value;
        let f = memo.get(name);
        if (f === undefined) {
          const def = fragments.get(name);
          // An unknown or cyclic fragment is reported by graphql-js' own rules; count it as nothing here.
          if (!def || inProgress.has(name)) f = 0;
          else {
            inProgress.add(name);
            f = visit(def.selectionSet) + ownValue(def);
            inProgress.delete(name);
            memo.set(name, f);
          }
        }
        v = f + ownValue(sel);
      }
      acc = combine === 'sum' ? acc + v : Math.max(acc, v);
    }
    return acc;
  };
  return visit(selectionSet);
}

function fragmentsOf(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) map.set(d.name.value, d);
  return map;
}

/** Deepest field nesting: `{ a { b } }` is 2. */
export function operationDepth(doc: DocumentNode, op: OperationDefinitionNode): number {
  return measure(fragmentsOf(doc), op.selectionSet, 'max', (_f, child) => 1 + child);
}

/** Fields with an alias, fragments expanded. */
export function operationAliases(doc: DocumentNode, op: OperationDefinitionNode): number {
  return measure(fragmentsOf(doc), op.selectionSet, 'sum', (f, child) => (f.alias ? 1 : 0) + child);
}

/** Directive uses (on the operation, its fields, fragments and spreads), fragments expanded. */
export function operationDirectives(doc: DocumentNode, op: OperationDefinitionNode): number {
  const own = (n: { directives?: readonly unknown[] }) => n.directives?.length ?? 0;
  return (op.directives?.length ?? 0) + measure(fragmentsOf(doc), op.selectionSet, 'sum', (_f, child) => child, own);
}

/**
 * Repeated selections of one response key in one selection set (`{ __typename __typename … }`,
 * fragments expanded). graphql-js merges them, but each is still validated, collected and resolved:
 * 500 of them cost the server as much as 500 fields while the cost (1 each) stays far under MAX_COST.
 * Overlapping fragments repeat a few fields legitimately; hundreds never are.
 */
export function operationDuplicates(doc: DocumentNode, op: OperationDefinitionNode): number {
  const fragments = fragmentsOf(doc);
  const memo = new Map<SelectionSetNode, number>();
  const inProgress = new Set<string>();
  // Counts per selection set, keyed by response key; a spread's fields join the set they are spread into.
  const collect = (set: SelectionSetNode, seen: Map<string, number>): number => {
    let dups = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        const n = seen.get(key) ?? 0;
        if (n > 0) dups++;
        seen.set(key, n + 1);
        if (sel.selectionSet) dups += nested(sel.selectionSet);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        dups += collect(sel.selectionSet, seen);
      } else {
        const def = fragments.get(sel.name.value);
        if (!def || inProgress.has(def.name.value)) continue;
        inProgress.add(def.name.value);
        dups += collect(def.selectionSet, seen);
        inProgress.delete(def.name.value);
      }
    }
    return dups;
  };
  const nested = (set: SelectionSetNode): number => {
    let n = memo.get(set);
    if (n === undefined) {
      n = collect(set, new Map());
      memo.set(set, n);
    }
    return n;
  };
  return collect(op.selectionSet, new Map());
}

export interface StaticLimits {
  depth: number;
  aliases: number;
  directives: number;
  duplicates: number;
}

/**
 * The first breach of the four static limits above in a document (operations in order; per operation
 * depth, aliases, directives, duplicates), as the error to answer (`GRAPHQL_VALIDATION_FAILED` with
 * `limit`, `max`, `actual`), or undefined. Decided before graphql-js' own validation rules see the
 * document (src/hardening/plugins.ts, `staticLimitsPlugin`): its OverlappingFieldsCanBeMerged rule
 * compares every pair of fields sharing a response key, so 4,990 repeated `__typename` (within
 * MAX_TOKENS) cost an anonymous request a few hundred ms of CPU when the limits were rules beside it.
 */
export function staticLimitBreach(doc: DocumentNode, max: StaticLimits): GraphQLError | undefined {
  const checks: Array<[LimitName & keyof StaticLimits, (doc: DocumentNode, op: OperationDefinitionNode) => number, (n: number) => string]> = [
    ['depth', operationDepth, (n) => `the operation is nested ${n} levels deep; the limit is ${max.depth}`],
    ['aliases', operationAliases, (n) => `the operation uses ${n} aliases; the limit is ${max.aliases}`],
    ['directives', operationDirectives, (n) => `the operation uses ${n} directives; the limit is ${max.directives}`],
    ['duplicates', operationDuplicates, (n) => `the operation selects the same field again ${n} times; the limit is ${max.duplicates}`],
  ];
  for (const op of doc.definitions) {
    if (op.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const [limit, count, describe] of checks) {
      const n = count(doc, op);
      if (n > max[limit]) return limitError(limit, n, max[limit], op, describe(n));
    }
  }
  return undefined;
}

/** The refusal of an operation whose static cost is over `max` (over HTTP and for a subscription alike). */
export function costBreach(cost: number, max: number, op: OperationDefinitionNode): GraphQLError {
  return limitError('cost', cost, max, op,
    `the operation costs ${cost}; the limit is ${max} (each field costs 1, a connection multiplies its selection by its page size: ask for smaller pages or fewer fields)`);
}

/** `first` when a connection field does not say, and its argument has no default. */
export const DEFAULT_CONNECTION_SIZE = 20;

/**
 * Length the cost assumes for a plain list field (a list that is neither a connection's page nor
 * takes `first`): the documented length of each, README "Limits". Where the hard maximum is far above
 * what data holds (an order may have 500 lines; orders have a few), the typical length is used, so
 * that a customer-360 page stays within MAX_COST; the per-request budget (src/hardening/budget.ts)
 * counts the real lengths during execution and stops a request past MAX_ROWS / MAX_RESOLVED_FIELDS.
 */
export const PLAIN_LIST_BOUNDS: Record<string, number> = {
  'Order.lines': 5,
  'Customer.identities': 5,
  'Customer.merges': 5,
  'CustomerMerge.moves': 10,
  'MergePreview.moves': 10,
  'MergePreview.fields': 20,
  'Customer.provenance': 20,
  'CustomerConsents.current': 10,
  'CustomerPreferences.stated': 10,
  'CustomerRecommendations.items': 50, // recommendations(first) ≤ 50
  'InferredPreferences.brands': 5, // top 5
  'InferredPreferences.categories': 5,
  'IngestEventsPayload.results': 1000, // one per event, MAX_INGEST_EVENTS
  'UpsertCustomerPayload.ignoredIdentifiers': 20, // identifiers per call
  'Offer.targetSegments': 10,
  'Query.segments': 100,
  'Query.apiKeys': 100,
  'Query.campaignMetrics': 100,
  // A campaign's offers and its A/B variants (variants are offers): a handful in practice; the runtime budget holds the rest.
  'CampaignResults.offers': 10,
  'CampaignResults.variants': 10,
  'Query.feedbackSummary': 100,
};

/** Plain lists that an argument narrows: their bound given the arguments, or undefined for the documented one. */
const NARROWED_BOUNDS: Record<string, (arg: (name: string) => unknown) => number | undefined> = {
  // Results of one named campaign are one row (one per segment with bySegment).
  'Query.campaignMetrics': (arg) => (arg('campaign') != null && arg('bySegment') !== true ? 1 : undefined),
};

/** A plain list field not in PLAIN_LIST_BOUNDS. */
export const DEFAULT_PLAIN_LIST_BOUND = 20;

function isConnection(type: GraphQLNamedType): boolean {
  return isObjectType(type) && type.name.endsWith('Connection') && ('edges' in type.getFields() || 'nodes' in type.getFields());
}

function fieldDef(schema: GraphQLSchema, parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (parent && parent === schema.getQueryType()) {
    if (name === '__schema') return SchemaMetaFieldDef;
    if (name === '__type') return TypeMetaFieldDef;
  }
  return parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
}

function argumentValue(field: FieldNode, name: string, op: OperationDefinitionNode, variables: Record<string, unknown>): unknown {
  const arg = field.arguments?.find((a) => a.name.value === name);
  if (!arg) return undefined;
  if (arg.value.kind !== Kind.VARIABLE) return valueFromASTUntyped(arg.value);
  const variable = arg.value.name.value;
  if (variables[variable] !== undefined) return variables[variable];
  const declared = op.variableDefinitions?.find((v) => v.variable.name.value === variable)?.defaultValue;
  return declared ? valueFromASTUntyped(declared) : undefined;
}

/**
 * How many items a list field can return: `first` (as for a connection) when it takes one, the
 * number of ids for `nodes(ids:)`, else its documented maximum (PLAIN_LIST_BOUNDS).
 */
function listBound(parent: GraphQLNamedType | undefined, field: FieldNode, def: GraphQLField<unknown, unknown>, op: OperationDefinitionNode, variables: Record<string, unknown>, maxPageSize: number): number {
  if (def.args.some((a) => a.name === 'first')) return pageSize(field, def, op, variables, maxPageSize);
  if (def.args.some((a) => a.name === 'ids')) {
    const ids = argumentValue(field, 'ids', op, variables);
    return Array.isArray(ids) ? ids.length : 1;
  }
  const key = `${parent?.name}.${def.name}`;
  return NARROWED_BOUNDS[key]?.((name) => argumentValue(field, name, op, variables)) ?? PLAIN_LIST_BOUNDS[key] ?? DEFAULT_PLAIN_LIST_BOUND;
}

/**
 * The page size a connection field will return: its `first` argument (a literal, or a variable's
 * value, or that variable's default), else the argument's schema default, else 20; at most
 * `maxPageSize` (a larger `first` is refused by the resolver with BAD_USER_INPUT, never served).
 */
function pageSize(field: FieldNode, def: GraphQLField<unknown, unknown> | undefined, op: OperationDefinitionNode, variables: Record<string, unknown>, maxPageSize: number): number {
  let value = argumentValue(field, 'first', op, variables);
  if (value === undefined || value === null) value = def?.args.find((a) => a.name === 'first')?.defaultValue;
  const n = typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : DEFAULT_CONNECTION_SIZE;
  return Math.min(n, maxPageSize);
}

/**
 * Static cost of an operation: every field costs 1 (a field selected twice costs twice); a connection
 * field (a `…Connection` type) multiplies the cost of its selection by the page size it asks for
 * (`first`, default: the argument's default, else 20; capped at MAX_PAGE_SIZE, past which the
 * resolver refuses it), and so does a plain list field, by its bound (see `listBound`): lists nested
 * in lists multiply. Inline fragments and fragments on different types add up (an upper bound). Needs the variables, so it runs per request (see `costLimitPlugin`), not as a cached rule.
 */
export function operationCost(schema: GraphQLSchema, doc: DocumentNode, op: OperationDefinitionNode, variables: Record<string, unknown> = {}, maxPageSize = Number.MAX_SAFE_INTEGER): number {
  const fragments = fragmentsOf(doc);
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();
  const visit = (parent: GraphQLNamedType | undefined, set: SelectionSetNode): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const def = fieldDef(schema, parent, sel.name.value);
        const type = def ? getNamedType(def.type) : undefined;
        const child = sel.selectionSet ? visit(type, sel.selectionSet) : 0;
        const multiplier = !def || !type ? 1
          : isConnection(type) ? pageSize(sel, def, op, variables, maxPageSize)
          // A connection's `nodes` and `edges` are its page, already counted by the connection field;
          // introspection's lists are as long as the schema is (and INTROSPECTION decides who may ask).
          : isListType(getNullableType(def.type)) && !(parent && (isConnection(parent) || parent.name.startsWith('__'))) ? listBound(parent, sel, def, op, variables, maxPageSize)
          : 1;
        total += 1 + multiplier * child;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        total += visit(sel.typeCondition ? schema.getType(sel.typeCondition.name.value) ?? undefined : parent, sel.selectionSet);
      } else {
        const name = sel.name.value;
        let f = memo.get(name);
        if (f === undefined) {
          const def = fragments.get(name);
          if (!def || inProgress.has(name)) f = 0;
          else {
            inProgress.add(name);
            f = visit(schema.getType(def.typeCondition.name.value) ?? undefined, def.selectionSet);
            inProgress.delete(name);
            memo.set(name, f);
          }
        }
        total += f;
      }
    }
    return total;
  };
  const root = op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return visit(root ?? undefined, op.selectionSet);
}

/**
 * operationCost, remembered per operation (Apollo keeps one parsed document per query text, so a
 * client sending the same query again hands the same operation node) and per the values of the
 * variables the computation read. The cost is a pure function of the schema, the document, the
 * operation, `maxPageSize` and the variables it reads (`first: $n`, `ids: $ids`…), so a second
 * request whose read variables are equal costs the same; any other variable (`$id`) does not change
 * it. Which variables are read can depend on their values (a narrowed bound reads a second argument
 * only when the first is set): the key holds every variable any computation of this operation has
 * read, and the entries are dropped when that set grows. A bounded number of entries per operation.
 */
interface CostEntry { schema: GraphQLSchema; doc: DocumentNode; maxPageSize: number; read: string[]; costs: Map<string, number> }
const costCache = new WeakMap<OperationDefinitionNode, CostEntry>();
const MAX_COSTS_PER_OPERATION = 64;

function costKey(read: readonly string[], variables: Record<string, unknown>): string | undefined {
  let key = '';
  for (const name of read) {
    const v = variables[name];
    // undefined and null mean different things to argumentValue; a value JSON cannot tell apart is not cached.
    if (v === undefined) key += 'u,';
    else {
      const text = JSON.stringify(v);
      if (text === undefined) return undefined;
      key += `${text.length}:${text},`;
    }
  }
  return key;
}

export function cachedOperationCost(schema: GraphQLSchema, doc: DocumentNode, op: OperationDefinitionNode, variables: Record<string, unknown>, maxPageSize: number): number {
  let entry = costCache.get(op);
  if (!entry || entry.schema !== schema || entry.doc !== doc || entry.maxPageSize !== maxPageSize) {
    entry = { schema, doc, maxPageSize, read: [], costs: new Map() };
    costCache.set(op, entry);
  }
  const known = costKey(entry.read, variables);
  const hit = known === undefined ? undefined : entry.costs.get(known);
  if (hit !== undefined) return hit;
  const read = new Set<string>();
  const recording = new Proxy(variables, {
    get(target, name, receiver) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
  const cost = operationCost(schema, doc, op, recording, maxPageSize);
  const grew = [...read].filter((n) => !entry.read.includes(n));
  if (grew.length) {
    entry.read = [...entry.read, ...grew];
    entry.costs.clear();
  }
  const key = costKey(entry.read, variables);
  if (key !== undefined && entry.costs.size < MAX_COSTS_PER_OPERATION) entry.costs.set(key, cost);
  return cost;
}
