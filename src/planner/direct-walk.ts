import {
  Kind, isLeafType, isListType, isNonNullType, isObjectType,
  type FieldNode, type GraphQLField, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLOutputType,
  type GraphQLResolveInfo, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { collectFields, collectSubfields } from 'graphql/execution/collectFields';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../context';
import { currentWork, fieldsPerItem } from '../hardening/budget';
import { fieldVerdict } from '../schema/permissions';
import { PLANNED_ROOTS, forgetRootAnswers, plannedRootOutcome, plannerStats } from './read-planner';

/**
 * The answer of a compiled query without graphql-js's per-field machinery (README "Performance").
 *
 * When the read planner compiled every root field of a query operation, graphql-js would then walk
 * the answer field by field through the served schema: the budget wrapper of each list, graphql-
 * middleware and the permission layer (`verdictFirst`, else graphql-shield) of each field, then the
 * field's own resolver. This walks the same values in the same order, with the same pieces:
 *   - each field's verdict from the SAME rule of the permission tree (`fieldVerdict`: the synchronous
 *     part `verdictFirst` takes), which also records the audit row of a personal-data read;
 *   - each field's own resolver of the bare schema (the one the permission layer wraps: planner
 *     stand-ins, type-graphql getters, property reads) with the arguments and info graphql-js gives;
 *   - graphql-js's own field collection, `isTypeOf` and leaf serialisation;
 *   - the request budget counted exactly as `applyBudget` counts each list (committed at the end).
 * It answers only when nothing in the walk would be an error: any verdict other than "allowed now"
 * (a refusal, a consent or object access to look up), a value graphql-js would reject (null for a
 * non-null type, an Error, a promise, a serialisation failure), an abstract type, or the budget
 * running out makes it give up, and graphql-js executes the operation as it always has. Nothing it
 * did is then lost or doubled: the root fields' answers are kept per request (the planner's
 * statement runs once), and audit reads are a set per request (recording one again changes nothing).
 * The differential test compares both paths (READ_PLANNER off and on) on every viewer.
 */

class GiveUp extends Error {}
const GIVE_UP = new GiveUp('direct walk: graphql-js answers this one');

/** What the walk needs of each field of the served schema, found once. */
interface FieldPlan {
  def: GraphQLField<unknown, unknown>;
  resolve: GraphQLFieldResolver<unknown, Context> | undefined;
  verdict: ((parent: Record<string, unknown>, ctx: Context) => true | Error | undefined) | undefined;
}

interface Walker {
  schema: GraphQLSchema;
  bare: GraphQLSchema;
  ctx: Context;
  operation: OperationDefinitionNode;
  fragments: GraphQLResolveInfo['fragments'];
  variables: Record<string, unknown>;
  rows: number;
  fields: number;
}

const fieldPlans = new WeakMap<GraphQLObjectType, Map<string, FieldPlan>>();

function fieldPlan(w: Walker, type: GraphQLObjectType, name: string): FieldPlan {
  let plans = fieldPlans.get(type);
  if (!plans) fieldPlans.set(type, (plans = new Map()));
  let plan = plans.get(name);
  if (!plan) {
    const def = type.getFields()[name];
    if (!def) throw GIVE_UP;
    const bareType = w.bare.getType(type.name);
    const bareField = bareType && isObjectType(bareType) ? bareType.getFields()[name] : undefined;
    if (!bareField) throw GIVE_UP;
    plan = { def, resolve: bareField.resolve as GraphQLFieldResolver<unknown, Context> | undefined, verdict: fieldVerdict(type.name, name) };
    plans.set(name, plan);
  }
  return plan;
}

/**
 * graphql-js's subfield collection, kept across requests per (field nodes, type). The walk runs only
 * under root fields the planner compiled, and the planner compiles no selection with a directive, so
 * what is collected does not depend on the variables (@skip / @include). Keyed by the first node,
 * then matched node by node: the same node can be merged with different siblings elsewhere.
 */
interface SubField {
  key: string;
  nodes: readonly FieldNode[];
  name: string;
  /** fieldPlan(planType, name), found on first use. */
  plan?: FieldPlan;
  planType?: GraphQLObjectType;
}
const subfieldCache = new WeakMap<FieldNode, Map<string, Array<{ nodes: readonly FieldNode[]; fields: SubField[] }>>>();
/**
 * The same collection, by the node array itself: a list's items share their field's array, and a
 * nested field's array is the one kept above, so this finds most of them without matching nodes.
 */
const byNodeArray = new WeakMap<readonly FieldNode[], Map<string, SubField[]>>();
function subfields(w: Walker, type: GraphQLObjectType, nodes: readonly FieldNode[]): SubField[] {
  let sameArray = byNodeArray.get(nodes);
  const known = sameArray?.get(type.name);
  if (known) return known;
  let byType = subfieldCache.get(nodes[0]);
  if (!byType) subfieldCache.set(nodes[0], (byType = new Map()));
  let entries = byType.get(type.name);
  if (!entries) byType.set(type.name, (entries = []));
  let fields = entries.find((e) => e.nodes.length === nodes.length && e.nodes.every((n, i) => n === nodes[i]))?.fields;
  if (!fields) {
    const collected = collectSubfields(w.schema, w.fragments, w.variables, type, nodes as FieldNode[]) as Map<string, readonly FieldNode[]>;
    fields = [...collected].map(([key, fieldNodes]) => ({ key, nodes: fieldNodes, name: fieldNodes[0].name.value }));
    if (entries.length < 16) entries.push({ nodes, fields });
  }
  if (!sameArray) byNodeArray.set(nodes, (sameArray = new Map()));
  sameArray.set(type.name, fields);
  return fields;
}

type Path = GraphQLResolveInfo['path'];

function info(w: Walker, parentType: GraphQLObjectType, def: GraphQLField<unknown, unknown>, nodes: readonly FieldNode[], path: Path): GraphQLResolveInfo {
  return {
    fieldName: def.name, fieldNodes: nodes, returnType: def.type, parentType, path, schema: w.schema,
    fragments: w.fragments, rootValue: undefined, operation: w.operation, variableValues: w.variables,
  };
}

function isThenable(v: unknown): boolean {
  return !!v && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * The answer's objects are plain object literals, not graphql-js's `Object.create(null)`: V8 keeps a
 * prototype-less object in dictionary mode, and Apollo's JSON.stringify of the answer took about twice
 * as long over such objects (README "Performance"). The one key a plain object would mistake for
 * something else, `__proto__` (an alias may be spelled so), is left to graphql-js.
 */
function walkObject(w: Walker, type: GraphQLObjectType, source: Record<string, unknown>, fields: SubField[], path: Path | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const { key, nodes, name } = field;
    if (key === '__proto__') throw GIVE_UP;
    if (name === '__typename') {
      out[key] = type.name;
      continue;
    }
    if (name.startsWith('__')) throw GIVE_UP;
    let plan = field.plan;
    if (!plan || field.planType !== type) {
      plan = field.plan = fieldPlan(w, type, name);
      field.planType = type;
    }
    if (!plan.verdict || plan.verdict(source, w.ctx) !== true) throw GIVE_UP;
    const fieldPath: Path = { prev: path, key, typename: type.name };
    const i = info(w, type, plan.def, nodes, fieldPath);
    const args = plan.def.args.length ? getArgumentValues(plan.def, nodes[0], w.variables) : {};
    const value = plan.resolve ? plan.resolve(source, args, w.ctx, i) : defaultResolve(source, name, args, w.ctx, i);
    out[key] = complete(w, plan.def.type, nodes, i, fieldPath, value);
  }
  return out;
}

/** graphql-js's defaultFieldResolver. */
function defaultResolve(source: Record<string, unknown>, name: string, args: Record<string, unknown>, ctx: Context, i: GraphQLResolveInfo): unknown {
  if (typeof source === 'object' || typeof source === 'function') {
    const property = source[name];
    if (typeof property === 'function') return (property as (...a: unknown[]) => unknown).call(source, args, ctx, i);
    return property;
  }
  return undefined;
}

function complete(w: Walker, type: GraphQLOutputType, nodes: readonly FieldNode[], i: GraphQLResolveInfo, path: Path, value: unknown): unknown {
  if (value instanceof Error || isThenable(value)) throw GIVE_UP;
  if (isNonNullType(type)) {
    if (value == null) throw GIVE_UP;
    return complete(w, type.ofType, nodes, i, path, value);
  }
  if (value == null) return null;
  if (isListType(type)) {
    if (!Array.isArray(value)) throw GIVE_UP;
    // applyBudget's count(), for this list.
    w.rows += value.length;
    w.fields += value.length * fieldsPerItem(i);
    return value.map((item, index) => complete(w, type.ofType, nodes, i, { prev: path, key: index, typename: undefined }, item));
  }
  if (isLeafType(type)) {
    const serialized = type.serialize(value);
    if (serialized == null) throw GIVE_UP;
    return serialized;
  }
  if (!isObjectType(type)) throw GIVE_UP; // an interface or union: graphql-js resolves the type
  if (type.isTypeOf) {
    const ok = type.isTypeOf(value, w.ctx, i);
    if (isThenable(ok) || !ok) throw GIVE_UP;
  }
  return walkObject(w, type, value as Record<string, unknown>, subfields(w, type, nodes), path);
}

const ROOTS = new Set(PLANNED_ROOTS);

/**
 * The Apollo plugin: answers a query operation whose root fields the planner compiled, by the walk
 * above, or returns null (graphql-js executes it). `bare`: the schema the permission layer wraps.
 */
export function directWalkPlugin(bare: GraphQLSchema): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async responseForOperation(rc) {
          const ctx = rc.contextValue;
          const operation = rc.operation;
          if (!ctx?.config.readPlanner || !ctx.viewer || !operation || operation.operation !== 'query') return null;
          const schema = rc.schema;
          const query = schema.getQueryType();
          if (!query) return null;
          // The variables as graphql-js coerces them for execution.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (rc.request.variables ?? {}) as Record<string, unknown>);
          if (coerced.errors) return null;
          const fragments = Object.create(null) as GraphQLResolveInfo['fragments'];
          for (const d of rc.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const w: Walker = { schema, bare, ctx, operation, fragments, variables: coerced.coerced, rows: 0, fields: 0 };
          return answer(w, query, operation.selectionSet);
        },
      };
    },
  };
}

async function answer(w: Walker, query: GraphQLObjectType, selectionSet: SelectionSetNode) {
  const work = currentWork();
  if (work?.stopped) return null;
  let roots: Map<string, readonly FieldNode[]>;
  try {
    roots = collectFields(w.schema, w.fragments, w.variables, query, selectionSet) as Map<string, readonly FieldNode[]>;
  } catch {
    return null;
  }
  for (const nodes of roots.values()) {
    const name = nodes[0].name.value;
    // `node` answers an interface: graphql-js resolves its type.
    if (name !== '__typename' && (!ROOTS.has(name) || name === 'node')) return null;
  }
  // The root fields through the served schema (budget, permission layer, planner), as graphql-js calls them, all at once.
  const resolved = new Map<string, unknown>();
  try {
    await Promise.all([...roots].map(async ([key, nodes]) => {
      const name = nodes[0].name.value;
      if (name === '__typename') return;
      const def = query.getFields()[name];
      const path: Path = { prev: undefined, key, typename: query.name };
      const args = getArgumentValues(def, nodes[0], w.variables);
      resolved.set(key, await def.resolve!(undefined, args, w.ctx, info(w, query, def, nodes, path)));
    }));
  } catch {
    return null; // graphql-js runs them again and reports what failed (their answers are kept: nothing runs twice)
  }
  // Only answers the planner compiled (not a fallback through the resolvers).
  for (const nodes of roots.values()) if (nodes[0].name.value !== '__typename' && plannedRootOutcome(w.ctx, nodes[0]) !== 'compiled') return null;
  try {
    const data: Record<string, unknown> = {};
    for (const [key, nodes] of roots) {
      if (key === '__proto__') throw GIVE_UP;
      const name = nodes[0].name.value;
      if (name === '__typename') {
        data[key] = query.name;
        continue;
      }
      const def = query.getFields()[name];
      const path: Path = { prev: undefined, key, typename: query.name };
      data[key] = complete(w, def.type, nodes, info(w, query, def, nodes, path), path, resolved.get(key));
    }
    if (work) {
      if (work.stopped || work.rows + w.rows > work.maxRows || work.fields + w.fields > work.maxFields) throw GIVE_UP;
      work.rows += w.rows;
      work.fields += w.fields;
    }
    plannerStats.direct++;
    forgetRootAnswers(w.ctx);
    return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single' as const, singleResult: { data } } };
  } catch {
    // A GiveUp, or anything unexpected: graphql-js answers it, with its own error handling.
    plannerStats.directGaveUp++;
    return null;
  }
}
