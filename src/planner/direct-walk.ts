import {
  Kind, defaultTypeResolver, isAbstractType, isLeafType, isListType, isNonNullType, isObjectType,
  type FieldNode, type GraphQLField, type GraphQLFieldResolver, type GraphQLLeafType, type GraphQLObjectType, type GraphQLOutputType,
  type GraphQLResolveInfo, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { getMetadataStorage } from 'type-graphql';
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
 * non-null type, an Error, a promise, a serialisation failure), an abstract type whose object type
 * is not resolved synchronously (`node` resolves it by type-graphql's `instanceof`), or the budget
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
  /** What `resolve` answers, read without type-graphql's wrapper (propertyRead); USE_RESOLVER: call `resolve`. */
  read: ((source: Record<string, unknown>) => unknown) | undefined;
  /** The field's type when it is a leaf or a non-null leaf: completed without an info object. */
  leaf: GraphQLLeafType | undefined;
  nonNull: boolean;
  /** How many values `read` answered (without calling `resolve`), since the process started: see directReads(). */
  reads: number;
}

const USE_RESOLVER = Symbol('direct walk: call the resolver');

/** What the walk reads of type-graphql's metadata (its MetadataStorage, built with the schema). */
interface TgField { name: string; schemaName: string; target: Function; middlewares?: unknown[]; roles?: unknown[] }
interface TgStorage {
  objectTypes: Array<{ name: string; target: Function; fields?: TgField[] }>;
  fieldResolvers: Array<{ kind: string; methodName: string; getObjectType?: () => unknown; middlewares?: unknown[]; roles?: unknown[] }>;
}

/**
 * type-graphql gives every field of an @ObjectType a resolver of its own: for a plain @Field
 * property, a closure that reads `root[property]` through its middleware chain; for a @Field
 * getter, one that converts the parent to the class (a no-op for an instance of it) and reads the
 * getter through the chain. Each call allocates its resolver data and closures: about a fifth of the
 * walk's CPU on the customer 360 (profiled). With no middleware and no roles on the field (this
 * schema has none: src/schema/build-schema.ts passes no globalMiddlewares or authChecker), that is
 * the property or getter read alone, which is what this returns. It recognises type-graphql's two
 * closures by their source (the version is pinned exactly), so a resolver of anything else - a
 * planner stand-in, a resolver class's @FieldResolver, another type-graphql version - keeps being
 * called as before; so does a getter read on a parent that is not an instance of the class.
 */
const TG_BASIC = /applyMiddlewares\)\(container, resolverData, middlewares, \(\) => root\[fieldMetadata\.name\]\)/;
const TG_GETTER = /const targetInstance = \(0, types_1\.convertToType\)\(targetType, root\);/;

function propertyRead(typeName: string, fieldName: string, resolve: GraphQLFieldResolver<unknown, Context> | undefined): FieldPlan['read'] {
  if (!resolve) return undefined;
  const storage = getMetadataStorage() as unknown as TgStorage;
  // The last class registered under this name: the one this module graph built the schema from. An
  // earlier one is a copy of the class loaded by another module graph sharing the process-wide storage
  // (jest's globalSetup loads the entities natively before a test file's own copy, when it runs in band).
  const objectType = storage.objectTypes.findLast((o) => o.name === typeName);
  const field = objectType?.fields?.find((f) => f.schemaName === fieldName);
  if (!objectType || !field || field.middlewares?.length || field.roles) return undefined;
  const text = resolve.toString();
  if (TG_BASIC.test(text)) {
    const property = field.name;
    return (source) => source[property];
  }
  if (!TG_GETTER.test(text)) return undefined;
  // The field resolver type-graphql chose (schema-generator: the first with this class and method name).
  const chosen = storage.fieldResolvers.filter((r) => r.getObjectType?.() === field.target && r.methodName === field.name);
  if (chosen.length !== 1 || chosen[0].kind !== 'internal' || chosen[0].middlewares?.length || chosen[0].roles) return undefined;
  const target = field.target as new () => unknown;
  let getter: PropertyDescriptor | undefined;
  for (let proto = target.prototype as object | null; proto && !getter; proto = Object.getPrototypeOf(proto) as object | null) getter = Object.getOwnPropertyDescriptor(proto, field.name);
  if (!getter?.get) return undefined; // a method: it takes parameters type-graphql builds
  const method = field.name;
  return (source) => {
    if (!(source instanceof target)) return USE_RESOLVER;
    const value = source[method];
    return typeof value === 'function' ? USE_RESOLVER : value;
  };
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
/** The plans by `Type.field` (one served schema per process; the last one built wins). */
const allPlans = new Map<string, FieldPlan>();

/**
 * How many values of each field (`Type.field`) the walk has read without calling the field's
 * resolver (type-graphql's wrapper skipped, see `propertyRead`), since the process started. A field
 * missing here was always resolved through its resolver. Tests compare two readings around a request.
 */
export function directReads(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, plan] of allPlans) if (plan.reads) out[key] = plan.reads;
  return out;
}

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
    const resolve = bareField.resolve as GraphQLFieldResolver<unknown, Context> | undefined;
    const nonNull = isNonNullType(def.type);
    const inner = nonNull ? (def.type as { ofType: GraphQLOutputType }).ofType : def.type;
    plan = {
      def, resolve, verdict: fieldVerdict(type.name, name), read: propertyRead(type.name, name, resolve),
      leaf: isLeafType(inner) ? inner : undefined, nonNull, reads: 0,
    };
    plans.set(name, plan);
    allPlans.set(`${type.name}.${name}`, plan);
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
    let value = plan.read ? plan.read(source) : USE_RESOLVER;
    if (value !== USE_RESOLVER) plan.reads++;
    if (value !== USE_RESOLVER && plan.leaf) {
      // A leaf read without a resolver call: complete() without the info and path nobody reads.
      out[key] = completeLeaf(plan.leaf, plan.nonNull, value);
      continue;
    }
    const fieldPath: Path = { prev: path, key, typename: type.name };
    const i = info(w, type, plan.def, nodes, fieldPath);
    if (value === USE_RESOLVER) {
      const args = plan.def.args.length ? getArgumentValues(plan.def, nodes[0], w.variables) : {};
      value = plan.resolve ? plan.resolve(source, args, w.ctx, i) : defaultResolve(source, name, args, w.ctx, i);
    }
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

/** complete() for a leaf type, or a non-null one: the same checks and serialisation. */
function completeLeaf(type: GraphQLLeafType, nonNull: boolean, value: unknown): unknown {
  if (value instanceof Error || isThenable(value)) throw GIVE_UP;
  if (value == null) {
    if (nonNull) throw GIVE_UP;
    return null;
  }
  const serialized = type.serialize(value);
  if (serialized == null) throw GIVE_UP;
  return serialized;
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
  if (isLeafType(type)) return completeLeaf(type, false, value);
  let objectType: GraphQLObjectType;
  if (isAbstractType(type)) {
    // graphql-js's completeAbstractValue: the type's own resolveType (type-graphql's `instanceof`
    // over the implementing classes, for Node), else the default; a name that is not one of the
    // type's possible object types would be an error, so graphql-js reports it.
    const runtimeName = (type.resolveType ?? defaultTypeResolver)(value, w.ctx, i, type);
    if (typeof runtimeName !== 'string') throw GIVE_UP; // a promise, or no name
    const runtime = w.schema.getType(runtimeName);
    if (!runtime || !isObjectType(runtime) || !w.schema.isSubType(type, runtime)) throw GIVE_UP;
    objectType = runtime;
  } else if (isObjectType(type)) objectType = type;
  else throw GIVE_UP;
  if (objectType.isTypeOf) {
    const ok = objectType.isTypeOf(value, w.ctx, i);
    if (isThenable(ok) || !ok) throw GIVE_UP;
  }
  return walkObject(w, objectType, value as Record<string, unknown>, subfields(w, objectType, nodes), path);
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
    if (name !== '__typename' && !ROOTS.has(name)) return null;
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
