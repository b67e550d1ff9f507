import {
  Kind, getNamedType, isEnumType, isInterfaceType, isObjectType, isScalarType,
  type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLFieldResolver, type GraphQLObjectType,
  type GraphQLOutputType, type GraphQLResolveInfo, type GraphQLSchema, type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values';
import { getMetadataStorage } from 'type-graphql';
import { ReferenceKind, type EntityMetadata, type EntityProperty } from '@mikro-orm/core';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { createHash } from 'node:crypto';
import type { Context } from '../context';
import { lightMapperFor } from '../db/light-map';
import { pooledQuery } from '../db/pooled-query';
import { IDENTITIES_ORDER, LINES_ORDER, PAGE_SPECS, withholdModelScores } from '../loaders';
import { NO_FILTER, type SqlFilter } from '../loaders/child-page.loader';
import { consentPurposeSql, feedbackKindsSql, interactionFilterSql } from '../resolvers/customer/customer.filters';
import type { InteractionFilter } from '../resolvers/interaction/interaction.inputs';
import * as ENTITIES from '../entities';
import type { CustomerMetrics } from '../entities';
import { consentInForceOrder } from '../entities/consent-record.entity';
import { checkFirst, decodeCursor, encodeCursor, type Cursor } from '../services/pagination';
import { CustomerSortField, SORT_SQL, SortDirection, customerFilterSql } from '../services/customer.service';
import { expectGlobalOrRawId, fromGlobalId } from '../schema/global-id';
import type { ConnectionShape } from '../schema/connection';
import { CustomerConsents } from '../resolvers/customer/customer.types';
import { CUSTOMER_OWNED_TYPES, OWN_CONTACT_FIELDS, PROFILING_OBJECTION, THIRD_PARTY_SHARING, TYPE_POLICY, ownContactColumn, type FieldPolicy } from '../auth/policy';
import { ownContactSql, paramsBind } from '../auth/own-contact';
import { accessKnownNow, consentKey } from '../auth/access';
import { customerPropertyOf } from '../schema/permissions';
import { Role, type Viewer } from '../auth/viewer';
import { ident, join, key, raw, sql, type Sql } from './sql';
import { currentWork } from '../hardening/budget';
import { isStatementCancelled } from '../hardening/format-error';

/**
 * The read planner (README "Performance"): compiles the selection set of a supported root field
 * (`customer(id)`, `node(id)` naming a customer, `customers(first, after, filter, orderBy)`) into ONE
 * SQL statement that builds the whole answer as JSON in PostgreSQL (json_build_object / json_agg
 * over correlated subqueries, with the keyset pages the loaders read: src/loaders PAGE_SPECS). The
 * rows come back as the same light entity instances the loaders make (src/db/light-map.ts), and each
 * nested list, page and relation the SQL built is handed to its field by the field's own resolver
 * (wrapped here), so graphql-js walks the answer through the served schema unchanged: the
 * graphql-shield rules, the audit of personal-data reads and the request budget run on every field
 * exactly as without the planner. (When every root field of a query compiled, src/planner/direct-walk.ts
 * does that walk with the same rules and resolvers, without graphql-js's per-field wrappers.)
 *
 * Tables and columns come from MikroORM's metadata, fields and their resolvers from type-graphql's:
 * what it adds is WHICH field resolvers it may stand in for (RELATIONS below, each naming the loader
 * spec it reproduces, and to-one relations the ORM declares). Anything else in the selection (a
 * field it does not know, an argument it does not compile, a directive, a bad argument) makes the
 * whole root field resolve as before, through the resolvers and loaders: slower, never different.
 *
 * Privacy: role and scope grants are decided before the SQL, per request: a column whose field the
 * viewer's role (or key) may not read is left out of the row. Object access is decided as the root
 * resolvers decide it (accessKnownNow, and for partners the THIRD_PARTY_SHARING status computed in
 * the same statement); the consent statuses the field rules need are computed in it too and primed
 * into the request's consentStatus loader, which the rules then read as before.
 */

export const PLANNED = Symbol('rapport.planned');
const FALLBACK = Symbol('rapport.planner.fallback');

/**
 * Root fields answered by the planner, and those that fell back to the resolvers (this process);
 * query operations the direct walk answered (src/planner/direct-walk.ts), and those it gave to
 * graphql-js after the planner had compiled them.
 */
export const plannerStats = { compiled: 0, fallback: 0, direct: 0, directGaveUp: 0, fields: {} as Record<string, number> };

class Unsupported extends Error {}
const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

/** Object types whose rows the planner reads (entities), and the wrapper it builds itself. */
const ENTITY_TYPES = new Set(['Customer', 'Identity', 'Order', 'OrderLine', 'Interaction', 'Feedback', 'ConsentRecord', 'Product', 'CustomerValue']);

type PageName = keyof typeof PAGE_SPECS;
/**
 * The field resolvers the planner stands in for, besides to-one relations: each compiles what the
 * named loader reads. `filter`: the SQL of the field's filter arguments, the same function its
 * resolver hands the loader (src/resolvers/customer/customer.filters.ts).
 */
const RELATIONS: Record<string, { kind: 'page'; page: PageName; filter?: (args: Record<string, unknown>) => SqlFilter } | { kind: 'children'; table: string; parentColumn: string; order: readonly string[]; sameCustomer?: boolean; type: string } | { kind: 'current' } | { kind: 'consents' } | { kind: 'metrics' }> = {
  'Customer.orders': { kind: 'page', page: 'orders' },
  'Customer.interactions': { kind: 'page', page: 'interactions', filter: (args) => interactionFilterSql(args.filter as InteractionFilter | null) },
  'Customer.feedback': { kind: 'page', page: 'feedback', filter: (args) => feedbackKindsSql(args.kinds as string[] | null) },
  'CustomerConsents.history': { kind: 'page', page: 'consentHistory', filter: (args) => consentPurposeSql(args.purpose as string | null) },
  // metricsByCustomer: the row, with model scores withheld on a PROFILING objection (withholdModelScores).
  'Customer.value': { kind: 'metrics' },
  'Customer.identities': { kind: 'children', table: 'identities', parentColumn: 'customer_id', order: IDENTITIES_ORDER, type: 'Identity' },
  // linesByOrder also filters on the order's customer (shard pruning under Citus): same rows.
  'Order.lines': { kind: 'children', table: 'order_lines', parentColumn: 'order_id', order: LINES_ORDER, sameCustomer: true, type: 'OrderLine' },
  'CustomerConsents.current': { kind: 'current' },
  'Customer.consents': { kind: 'consents' },
};

// ---------------------------------------------------------------------------------------------
// Static knowledge: which GraphQL fields have resolvers of their own, and the entity of each type.
// ---------------------------------------------------------------------------------------------

interface TypeKnowledge {
  /** Fields with a type-graphql @FieldResolver. */
  resolved: Set<string>;
  cls?: Function; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
}
let knowledge: Map<string, TypeKnowledge> | undefined;

function typeKnowledge(name: string): TypeKnowledge {
  if (!knowledge) {
    const storage = getMetadataStorage() as unknown as {
      objectTypes: Array<{ name: string; target: Function }>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
      fieldResolvers: Array<{ schemaName: string; kind: string; getObjectType?: () => Function }>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    };
    knowledge = new Map();
    for (const t of storage.objectTypes) knowledge.set(t.name, { resolved: new Set(), cls: t.target });
    // 'internal' ones are the classes' own getters (globalId, total): read from the object, like any property.
    for (const fr of storage.fieldResolvers) {
      if (fr.kind !== 'external') continue;
      const cls = fr.getObjectType?.();
      for (const [, k] of knowledge) if (k.cls === cls) k.resolved.add(fr.schemaName);
    }
  }
  return knowledge.get(name) ?? { resolved: new Set() };
}

function entityMeta(em: EntityManager, type: string): EntityMetadata {
  const cls = typeKnowledge(type).cls;
  if (!ENTITY_TYPES.has(type) || !cls) return unsupported(`${type} is not an entity the planner reads`);
  return em.getMetadata().get(cls.name);
}

// ---------------------------------------------------------------------------------------------
// Selection sets
// ---------------------------------------------------------------------------------------------

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  em: EntityManager;
  ctx: Context;
  aliases: number;
  /** The root field and the field resolvers (RELATIONS keys) this plan stands in for. */
  used: Set<string>;
}

/** The fields selected on an object of `type`, grouped by response key (fragments applied by type condition). */
function collect(w: Walk, type: GraphQLObjectType, sets: readonly SelectionSetNode[]): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  const applies = (cond: string | undefined) => {
    if (!cond || cond === type.name) return true;
    const t = w.schema.getType(cond);
    return !!t && isInterfaceType(t) && type.getInterfaces().some((i) => i.name === cond);
  };
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const s of set.selections) {
      if (s.directives?.length) unsupported('directives');
      if (s.kind === Kind.FIELD) {
        const k = s.alias?.value ?? s.name.value;
        const list = out.get(k);
        if (list) list.push(s);
        else out.set(k, [s]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (applies(s.typeCondition?.name.value)) visit(s.selectionSet, seen);
      } else {
        const frag = w.fragments[s.name.value];
        if (!frag || frag.directives?.length) unsupported('fragment');
        if (seen.has(s.name.value)) continue;
        if (applies(frag.typeCondition.name.value)) visit(frag.selectionSet, new Set([...seen, s.name.value]));
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return out;
}

const subSets = (nodes: FieldNode[]) => nodes.map((n) => n.selectionSet).filter((s): s is SelectionSetNode => !!s);

/** The arguments of a field, as graphql-js gives them to its resolver; all its occurrences must agree. */
function argsOf(w: Walk, def: GraphQLField<unknown, unknown>, nodes: FieldNode[]): Record<string, unknown> {
  const args = getArgumentValues(def, nodes[0], w.variables);
  for (const n of nodes.slice(1)) if (JSON.stringify(getArgumentValues(def, n, w.variables)) !== JSON.stringify(args)) unsupported('the same field with different arguments');
  return args;
}

function objectType(t: GraphQLOutputType): GraphQLObjectType {
  const named = getNamedType(t);
  return isObjectType(named) ? named : unsupported(`${named.name} is not an object type`);
}

/** A field read by the default resolver from the hydrated object: scalars, or value objects made only of such fields. */
function checkPlain(w: Walk, type: GraphQLObjectType, name: string, nodes: FieldNode[]): void {
  const def = type.getFields()[name];
  if (!def) return unsupported(`${type.name}.${name}`);
  if (def.args.length || typeKnowledge(type.name).resolved.has(name)) unsupported(`${type.name}.${name} has a resolver`);
  const named = getNamedType(def.type);
  if (isScalarType(named) || isEnumType(named)) return;
  if (!isObjectType(named) || ENTITY_TYPES.has(named.name)) unsupported(`${type.name}.${name}: ${named.name}`);
  const value = named as GraphQLObjectType;
  for (const [k, sub] of collect(w, value, subSets(nodes))) {
    const subName = sub[0].name.value;
    if (subName === '__typename') continue;
    if (k.startsWith('__')) unsupported(k);
    checkPlain(w, value, subName, sub);
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation: a selection on an entity row → a json expression, and its hydration
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
/**
 * Builds the value of a field from its JSON; `parent`: the row of the entity it belongs to. Plans are
 * cached across requests (planFor), so a hydrate function never keeps the request it was compiled
 * for: what it needs of the current one (the consentStatus loader to prime) is `hydratingFor()`.
 */
type Hydrate = (json: unknown, parent?: Json) => unknown;

/** The request whose answer is being hydrated: set around each (synchronous) hydration by `hydrateFor`. */
let hydrating: Context | undefined;
function hydratingFor(): Context {
  if (!hydrating) throw new Error('read planner: hydrate outside hydrateFor');
  return hydrating;
}
function hydrateFor(ctx: Context, hydrate: Hydrate, json: unknown): unknown {
  const outer = hydrating;
  hydrating = ctx;
  try {
    return hydrate(json);
  } finally {
    hydrating = outer;
  }
}

interface Compiled {
  sql: Sql;
  hydrate: Hydrate;
  /**
   * Left joins the FROM clause that defines the row's alias must add: each to-one relation of the
   * row (OrderLine.product) is joined by its primary key rather than looked up by a correlated
   * subquery per row, which PostgreSQL answered with a sequential scan of the target table for each
   * row (README "Performance"). Identifiers only: no bind parameters.
   */
  joins?: Sql;
}

/** The joins of `parts`, in order, as one fragment. */
function joinsOf(parts: Array<Compiled | undefined>): Sql {
  const all = parts.flatMap((p) => (p?.joins ? [p.joins] : []));
  if (all.some((j) => j.params.length)) throw new Error('read planner: a join with bind parameters');
  return join(all, '');
}

const CONSENT_NEEDS = (viewer: Viewer): Array<{ purpose: string; channel: string }> => {
  const pairs = new Map<string, { purpose: string; channel: string }>();
  if (viewer.role === Role.PARTNER) pairs.set(`${THIRD_PARTY_SHARING.purpose}|${THIRD_PARTY_SHARING.channel}`, THIRD_PARTY_SHARING);
  for (const type of CUSTOMER_OWNED_TYPES) {
    for (const policy of Object.values(TYPE_POLICY[type] ?? {})) {
      const grant = (policy as FieldPolicy)[viewer.role];
      if (grant && typeof grant === 'object' && 'consent' in grant) for (const n of grant.consent.anyOf) pairs.set(`${n.purpose}|${n.channel}`, n);
    }
  }
  return [...pairs.values()];
};

/**
 * Columns of `type` whose field the viewer's role or key may not read (TYPE_POLICY), and JSON columns
 * no field of the type exposes (provenance): left out of the row. Consent grants are per customer:
 * those columns are read, and the field rule decides.
 */
function deniedColumns(meta: EntityMetadata, type: string, viewer: Viewer): string[] {
  const out: string[] = [];
  for (const prop of Object.values(meta.properties) as EntityProperty[]) {
    if (prop.kind !== ReferenceKind.SCALAR || prop.primary || !prop.fieldNames?.length) continue;
    const policy = TYPE_POLICY[type]?.[prop.name];
    let denied: boolean;
    if (policy) {
      const grant = policy[viewer.role];
      denied = !grant || (typeof grant === 'object' && 'scope' in grant && !viewer.scopes?.includes(grant.scope));
    } else {
      denied = (prop.columnTypes ?? []).some((t) => /^jsonb?$/i.test(t));
    }
    if (denied) out.push(...prop.fieldNames);
  }
  return out;
}

const nextAlias = (w: Walk) => `p${w.aliases++}`;

/**
 * The columns of `meta`'s table that the row mapper reads (scalars and the foreign keys of to-one
 * relations, as `select *` would give them to lightMapper), in metadata order.
 */
function tableColumns(meta: EntityMetadata): string[] {
  const out: string[] = [];
  for (const prop of meta.props as EntityProperty[]) {
    if (prop.persist === false || prop.formula || !prop.fieldNames?.length) continue;
    if (prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE || (prop.kind === ReferenceKind.ONE_TO_ONE && prop.owner)) out.push(...prop.fieldNames);
  }
  return out;
}

/**
 * The source of each getter of the entity classes, taken when this module loads: once MikroORM has
 * discovered an entity, every accessor of its prototype is wrapped in a guard whose source says
 * nothing about what it reads (a getter seen only wrapped counts as unknown: every column).
 */
const GETTER_SOURCES: WeakMap<object, Map<string, string>> = (() => {
  const out = new WeakMap<object, Map<string, string>>();
  for (const cls of Object.values(ENTITIES)) {
    if (typeof cls !== 'function' || !cls.prototype) continue;
    for (let p = cls.prototype as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      if (out.has(p)) continue;
      const m = new Map<string, string>();
      for (const name of Object.getOwnPropertyNames(p)) {
        const get = Object.getOwnPropertyDescriptor(p, name)?.get as ((() => unknown) & { __guarded?: boolean }) | undefined;
        if (get && !get.__guarded) m.set(name, get.toString());
      }
      out.set(p, m);
    }
  }
  return out;
})();

/** Entity types whose rows carry only the columns their selection reads (below); the others carry every readable column. */
const PRUNED_TYPES = new Set(['Customer', 'Identity', 'Order', 'OrderLine', 'Interaction', 'Feedback', 'ConsentRecord', 'Product']);

/** type-graphql's fields of a class, by schema name → the property (or getter) they read; inherited ones included. */
let fieldProps: Map<Function, Map<string, string>> | undefined; // eslint-disable-line @typescript-eslint/no-unsafe-function-type

function propertyOfField(cls: Function, schemaName: string): string | undefined { // eslint-disable-line @typescript-eslint/no-unsafe-function-type
  if (!fieldProps) {
    fieldProps = new Map();
    const storage = getMetadataStorage() as unknown as { fields: Array<{ name: string; schemaName: string; target: Function }> }; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    for (const f of storage.fields) {
      let m = fieldProps.get(f.target);
      if (!m) fieldProps.set(f.target, (m = new Map()));
      m.set(f.schemaName, f.name);
    }
  }
  for (let c: Function | null = cls; c && c !== Function.prototype; c = Object.getPrototypeOf(c) as Function | null) { // eslint-disable-line @typescript-eslint/no-unsafe-function-type
    const name = fieldProps.get(c)?.get(schemaName);
    if (name) return name;
  }
  return undefined;
}

/**
 * The columns reading property `name` of an entity needs: its own for a persisted scalar; for a getter
 * of the class, those of every `this.<property>` its source reads (getters followed, depth 3).
 * `undefined`: not known (a method call, `this` handed on, anything else): the caller takes every column.
 */
function columnsOfProperty(meta: EntityMetadata, name: string, depth = 0): string[] | undefined {
  const prop = meta.properties[name] as EntityProperty | undefined;
  if (prop) {
    if (prop.persist === false || prop.formula || !prop.fieldNames?.length) return undefined;
    return prop.kind === ReferenceKind.SCALAR || prop.kind === ReferenceKind.MANY_TO_ONE ? prop.fieldNames : undefined;
  }
  if (depth >= 3) return undefined;
  let body: string | undefined;
  for (let p = meta.prototype as object | null; p && p !== Object.prototype && body === undefined; p = Object.getPrototypeOf(p) as object | null) body = GETTER_SOURCES.get(p)?.get(name);
  if (body === undefined) return undefined;
  if (/\bthis\b(?!\.[A-Za-z_$][\w$]*\b(?!\s*\())/.test(body)) return undefined;
  const out: string[] = [];
  for (const [, ref] of body.matchAll(/\bthis\.([A-Za-z_$][\w$]*)/g)) {
    const cols = columnsOfProperty(meta, ref, depth + 1);
    if (!cols) return undefined;
    out.push(...cols);
  }
  return out;
}

/**
 * The columns of `meta`'s table a selection of `fields` (GraphQL field names on `type`) reads: those
 * of the property that names the row's customer (object access and the audit read it:
 * src/schema/permissions.ts `customerPropertyOf`), the primary key when `withKey` (a cursor is
 * selected), and those of each selected field's property or getter.
 * `undefined`: every column (a field whose reads are not known, or a type not in PRUNED_TYPES).
 * Fields with resolvers the planner stands in for read the table alias in SQL, not the row; other
 * relations' foreign keys are read only when a selected field's getter reads them.
 */
function selectedColumns(meta: EntityMetadata, type: GraphQLObjectType, fields: Iterable<string>, withKey: boolean): Set<string> | undefined {
  const cls = typeKnowledge(type.name).cls;
  if (!PRUNED_TYPES.has(type.name) || !cls) return undefined;
  const out = new Set<string>();
  const owner = meta.properties[customerPropertyOf(type.name)] ? columnsOfProperty(meta, customerPropertyOf(type.name)) : [];
  if (!owner) return undefined;
  for (const c of owner) out.add(c);
  if (withKey) for (const k of meta.primaryKeys) for (const c of (meta.properties[k] as EntityProperty).fieldNames) out.add(c);
  for (const field of fields) {
    if (field.startsWith('__') || RELATIONS[`${type.name}.${field}`] || typeKnowledge(type.name).resolved.has(field)) continue;
    const name = propertyOfField(cls, field);
    const cols = name === undefined ? undefined : columnsOfProperty(meta, name);
    if (!cols) return undefined;
    for (const c of cols) out.add(c);
  }
  return out;
}

/** json_build_object over (key, value) pairs; PostgreSQL takes at most 100 arguments (50 pairs) per call. */
function jsonObject(pairs: Array<[string, Sql]>): Sql {
  if (pairs.length > 50) return unsupported(`an object of ${pairs.length} keys`);
  return pairs.length ? sql`json_build_object(${join(pairs.map(([k, v]) => sql`${key(k)}, ${v}`), ', ')})` : raw(`'{}'::json`);
}

/**
 * Columns of a child row whose value the statement's own WHERE clause makes equal to a column of its
 * parent row (`order_lines.order_id = orders.id`): child column → parent column. They are not sent
 * back; hydration copies them from the parent row (README "Performance").
 */
type Inherit = Array<[child: string, parent: string]>;

/** `inherit` pairs whose parent column the parent row will hold when its children are hydrated. */
const inheritable = (parentColumns: ReadonlySet<string>, pairs: Inherit): Inherit => pairs.filter(([, p]) => parentColumns.has(p));

/**
 * The row of `alias` (an entity of GraphQL type `type`) with the nested values its selection needs,
 * as ONE json_build_object: its readable columns, `extra` keys (`__sort`…), `__planned` (the nested
 * values) and `__consent`. `json`, not `jsonb`: PostgreSQL then only writes text, where jsonb
 * re-encodes every nested value at each level (to_jsonb, `||`, jsonb_agg) and once more on the way
 * out (jsonb → text); that was most of the statement's cost (README "Performance"). `withKey`: the
 * row carries its primary key even if no selected field reads it (cursors); `inherit`: columns taken
 * from the parent row at hydration instead of being sent.
 */
function compileEntity(w: Walk, type: GraphQLObjectType, alias: string, nodes: FieldNode[] | SelectionSetNode[], extra: Array<[string, Sql]> = [], opts: { withKey?: boolean; inherit?: Inherit } = {}): Compiled {
  const meta = entityMeta(w.em, type.name);
  const viewer = w.ctx.viewer!;
  const sets = (nodes as Array<FieldNode | SelectionSetNode>).map((n) => (n.kind === Kind.FIELD ? n.selectionSet : n)).filter((s): s is SelectionSetNode => !!s);
  const denied = new Set(deniedColumns(meta, type.name, viewer));
  const wanted = selectedColumns(meta, type, [...collect(w, type, sets).values()].map((n) => n[0].name.value), !!opts.withKey);
  const columns = tableColumns(meta).filter((c) => !denied.has(c) && (!wanted || wanted.has(c)));
  const inherited = (opts.inherit ?? []).filter(([c]) => columns.includes(c));
  const children = compileChildren(w, type, alias, meta, sets, new Set(columns));
  const pairs: Array<[string, Sql]> = columns.filter((c) => !inherited.some(([i]) => i === c)).map((c) => [c, raw(`${alias}.${ident(c)}`)]);
  pairs.push(...extra);
  if (children.length) pairs.push(['__planned', jsonObject(children.map((c) => [c.key, c.sql]))]);
  const joins = joinsOf(children);
  const consents = type.name === 'Customer' ? CONSENT_NEEDS(viewer) : [];
  if (consents.length) {
    pairs.push(['__consent', jsonObject(consents.map((n) => [`${n.purpose}|${n.channel}`, sql`rapport_consent_status(${raw(alias)}.id, ${n.purpose}, ${n.channel})`]))]);
  }
  // Whether each contact column read under a consent or scope grant is the customer's own (the field rule
  // reads it from the ownContact loader, primed here: OWN_CONTACT_FIELDS).
  const ownContacts = Object.keys(OWN_CONTACT_FIELDS[type.name] ?? {})
    .map((field) => ownContactColumn(type.name, field, viewer.role))
    .filter((column): column is 'email' | 'phone' => !!column && columns.includes(column));
  if (ownContacts.length) {
    const keyring = w.ctx.config.pseudonymKeys;
    // The keys' pads as parameters, not in the text (pg_stat_activity, error logs: see Bind in own-contact.ts).
    const bound = (c: 'email' | 'phone'): Sql => {
      const { bind, params } = paramsBind();
      return { text: ownContactSql(c, alias, keyring, bind), params };
    };
    pairs.push(['__own', jsonObject(ownContacts.map((c) => [c, bound(c)]))]);
  }
  const map = lightMapperFor(w.em, meta.class, columns);
  const hydrate: Hydrate = (json, parent) => {
    if (json == null) return null;
    // The row as it came: the mapper reads only the entity's own columns (the `__` keys are left out of the instance).
    const row = json as Json;
    for (const [c, p] of inherited) row[c] = parent![p];
    const { __planned, __consent, __own } = row;
    const obj = map(row) as Record<string | symbol, unknown>;
    if (__consent) {
      const id = String(row.id);
      const loader = hydratingFor().loaders.consentStatus;
      for (const [k, status] of Object.entries(__consent as Json)) loader.prime(`${id}|${k}`, String(status));
    }
    if (__own) {
      const id = String(row.id);
      const loader = hydratingFor().loaders.ownContact;
      for (const [c, own] of Object.entries(__own as Json)) loader.prime(`${id}|${c}`, own === true);
    }
    if (children.length) {
      const planned: Record<string, unknown> = {};
      for (const c of children) planned[c.key] = c.hydrate((__planned as Json)[c.key], row);
      Object.defineProperty(obj, PLANNED, { value: planned, enumerable: false });
    }
    return obj;
  };
  return { sql: jsonObject(pairs), hydrate, joins };
}

interface Child extends Compiled {
  key: string;
}

/** `columns`: the columns the row of `alias` holds at hydration (the children may inherit them). */
function compileChildren(w: Walk, type: GraphQLObjectType, alias: string, meta: EntityMetadata | undefined, sets: SelectionSetNode[], columns: ReadonlySet<string>): Child[] {
  const children: Child[] = [];
  for (const [k, nodes] of collect(w, type, sets)) {
    const name = nodes[0].name.value;
    if (name === '__typename') continue;
    const def = type.getFields()[name];
    if (!def) return unsupported(`${type.name}.${name}`);
    const relation = RELATIONS[`${type.name}.${name}`];
    if (relation) {
      children.push({ key: k, ...compileRelation(w, type, def, relation, alias, nodes, columns) });
      continue;
    }
    const prop = meta?.properties[name] as EntityProperty | undefined;
    if (prop && prop.kind === ReferenceKind.MANY_TO_ONE && typeKnowledge(type.name).resolved.has(name) && !def.args.length) {
      const target = objectType(def.type);
      const targetMeta = entityMeta(w.em, target.name);
      if (targetMeta.className !== prop.targetMeta?.className) unsupported(`${type.name}.${name}: ${target.name}`);
      const a = nextAlias(w);
      const inner = compileEntity(w, target, a, nodes);
      const fk = prop.fieldNames[0];
      const pk = `${a}.${ident(targetMeta.primaryKeys[0])}`;
      // Joined by its primary key into the parent's FROM (no row: null, as the resolver answers).
      children.push({
        key: k,
        sql: sql`case when ${raw(pk)} is null then null else ${inner.sql} end`,
        hydrate: inner.hydrate,
        joins: sql` left join ${raw(ident(targetMeta.tableName))} ${raw(a)} on ${raw(pk)} = ${raw(alias)}.${raw(ident(fk))}${joinsOf([inner])}`,
      });
      continue;
    }
    if (k.startsWith('__')) unsupported(k);
    checkPlain(w, type, name, nodes);
  }
  return children;
}

function compileRelation(w: Walk, type: GraphQLObjectType, def: GraphQLField<unknown, unknown>, relation: (typeof RELATIONS)[string], alias: string, nodes: FieldNode[], columns: ReadonlySet<string>): Compiled {
  const args = argsOf(w, def, nodes);
  w.used.add(`${type.name}.${def.name}`);
  switch (relation.kind) {
    case 'consents': {
      // A wrapper of the customer: its fields read the customer's own rows (alias stays the customer's).
      const wrapper = objectType(def.type);
      const children = compileChildren(w, wrapper, alias, undefined, subSets(nodes), columns);
      return {
        sql: jsonObject(children.map((c) => [c.key, c.sql])),
        joins: joinsOf(children),
        hydrate: (json, parent) => {
          const obj = new CustomerConsents(String(parent!.id)) as unknown as Record<symbol, unknown>;
          const planned: Record<string, unknown> = {};
          for (const c of children) planned[c.key] = c.hydrate((json as Json)[c.key], parent);
          Object.defineProperty(obj, PLANNED, { value: planned, enumerable: false });
          return obj;
        },
      };
    }
    case 'current': {
      const target = objectType(def.type);
      const a = nextAlias(w);
      const inner = compileEntity(w, target, a, nodes, [], { inherit: inheritable(columns, [['customer_id', 'id']]) });
      const hydrateList = (json: unknown, parent?: Json) => (json as unknown[]).map((x) => inner.hydrate(x, parent));
      return {
        sql: sql`coalesce((select json_agg(${inner.sql} order by ${raw(a)}.purpose, ${raw(a)}.channel) from (select distinct on (purpose, channel) * from consent_records where customer_id = ${raw(alias)}.id order by purpose, channel, ${raw(consentInForceOrder())}) ${raw(a)}${joinsOf([inner])}), '[]'::json)`,
        hydrate: hydrateList,
      };
    }
    case 'children': {
      const target = objectType(def.type);
      if (target.name !== relation.type) unsupported(`${type.name}.${def.name}`);
      const a = nextAlias(w);
      const inherit: Inherit = [[relation.parentColumn, 'id']];
      if (relation.sameCustomer) inherit.push(['customer_id', 'customer_id']);
      const inner = compileEntity(w, target, a, nodes, [], { inherit: inheritable(columns, inherit) });
      const order = relation.order.map((c) => `${a}.${ident(c)}`).join(', ');
      const same = relation.sameCustomer ? ` and ${a}.customer_id = ${alias}.customer_id` : '';
      return {
        sql: sql`coalesce((select json_agg(${inner.sql} order by ${raw(order)}) from ${raw(ident(relation.table))} ${raw(a)}${joinsOf([inner])} where ${raw(a)}.${raw(ident(relation.parentColumn))} = ${raw(alias)}.id${raw(same)}), '[]'::json)`,
        hydrate: (json, parent) => (json as unknown[]).map((x) => inner.hydrate(x, parent)),
      };
    }
    case 'page': {
      const filter = relation.filter?.(args) ?? NO_FILTER;
      const where = { text: filter.clauses.map((c) => ` and ${c}`).join(''), params: filter.params };
      const first = checkFirst(args.first as number, w.ctx.config.maxPageSize);
      const after = decodeCursor(args.after as string | null);
      const spec = PAGE_SPECS[relation.page];
      const sortOf = (a: string) => `${a}.${ident(spec.sortColumn)}`;
      return compileConnection(w, objectType(def.type), nodes, first, after, inheritable(columns, [[spec.parentColumn, 'id']]), (a) => raw(`${sortOf(a)}::text`), (a, nodeSql, joins) => {
        const sort = sortOf(a);
        const keyset = after ? sql` and (c.${raw(ident(spec.sortColumn))}, c.id) < (${after.v}::${raw(spec.sortCast)}, ${after.id}::uuid)` : raw('');
        const fetches = first > 0 || !!after;
        const rows = fetches
          ? sql`coalesce((select json_agg(${nodeSql} order by ${raw(sort)} desc, ${raw(a)}.id desc)
              from (select c.* from ${raw(ident(spec.table))} c where c.${raw(ident(spec.parentColumn))} = ${raw(alias)}.id${where}${keyset}
                    order by c.${raw(ident(spec.sortColumn))} desc, c.id desc limit ${first + 1}) ${raw(a)}${joins}), '[]'::json)`
          : raw(`'[]'::json`);
        const count = sql`(select count(*) from ${raw(ident(spec.table))} c where c.${raw(ident(spec.parentColumn))} = ${raw(alias)}.id${where})`;
        return { rows, count };
      });
    }
    case 'metrics': {
      const target = objectType(def.type);
      const meta = entityMeta(w.em, target.name);
      const a = nextAlias(w);
      const pk = ident(meta.primaryKeys.map((p) => meta.properties[p].fieldNames[0])[0]);
      const profiling = sql`rapport_consent_status(${raw(a)}.${raw(pk)}, ${PROFILING_OBJECTION.purpose}, ${PROFILING_OBJECTION.channel})`;
      const inner = compileEntity(w, target, a, nodes, [['__profiling', profiling]]);
      return {
        sql: sql`(select ${inner.sql} from ${raw(ident(meta.tableName))} ${raw(a)}${joinsOf([inner])} where ${raw(a)}.${raw(pk)} = ${raw(alias)}.id)`,
        hydrate: (json) => (json == null ? null : withholdModelScores(inner.hydrate(json) as CustomerMetrics, String((json as Json).__profiling))),
      };
    }
    default:
      return unsupported('relation');
  }
}

/**
 * A connection (edges, nodes, pageInfo, totalCount) over rows the `page` callback selects: rows are
 * fetched `first + 1` at a time (the extra one says hasNextPage) with their sort value as text for
 * the cursor, as the loaders and keysetPage do.
 */
function compileConnection(
  w: Walk, conn: GraphQLObjectType, nodes: FieldNode[], first: number, _after: Cursor | null, inherit: Inherit,
  sortText: (alias: string) => Sql,
  page: (alias: string, nodeSql: Sql, joins: Sql) => { rows: Sql; count: Sql },
): Compiled {
  const fields = collect(w, conn, subSets(nodes));
  const nodeSets: SelectionSetNode[] = [];
  let withCount = false;
  // Cursors are made only when one can be read: an edge's cursor, or pageInfo (start/endCursor).
  let withCursors = false;
  let nodeType: GraphQLObjectType | undefined;
  for (const [k, fnodes] of fields) {
    const name = fnodes[0].name.value;
    if (name === '__typename') continue;
    if (k.startsWith('__')) unsupported(k);
    if (name === 'totalCount') withCount = true;
    else if (name === 'pageInfo') {
      checkPlain(w, conn, name, fnodes);
      withCursors = true;
    } else if (name === 'nodes') {
      nodeType = objectType(conn.getFields().nodes.type);
      nodeSets.push(...subSets(fnodes));
    } else if (name === 'edges') {
      const edge = objectType(conn.getFields().edges.type);
      for (const [ek, enodes] of collect(w, edge, subSets(fnodes))) {
        const en = enodes[0].name.value;
        if (en === 'cursor') withCursors = true;
        if (en === '__typename' || en === 'cursor') continue;
        if (en !== 'node' || ek.startsWith('__')) unsupported(`${edge.name}.${en}`);
        nodeType = objectType(edge.getFields().node.type);
        nodeSets.push(...subSets(enodes));
      }
    } else unsupported(`${conn.name}.${name}`);
  }
  nodeType ??= objectType(conn.getFields().nodes.type);
  const a = nextAlias(w);
  const inner = compileEntity(w, nodeType, a, nodeSets, withCursors ? [['__sort', sortText(a)]] : [], { withKey: withCursors, inherit });
  const { rows, count } = page(a, inner.sql, joinsOf([inner]));
  return {
    sql: withCount ? sql`json_build_object('rows', ${rows}, 'total', ${count})` : sql`json_build_object('rows', ${rows})`,
    hydrate: (json, parent) => {
      const j = json as { rows: Json[]; total?: number };
      const visible = j.rows.length > first ? j.rows.slice(0, first) : j.rows;
      const nodesOut = visible.map((x) => inner.hydrate(x, parent));
      // No cursor is selected: nothing reads them.
      const cursors = withCursors ? visible.map((r) => encodeCursor({ v: r.__sort as string, id: String(r.id) })) : [];
      const shape: ConnectionShape<unknown> = {
        edges: nodesOut.map((node, i) => ({ node, cursor: cursors[i] })),
        nodes: nodesOut,
        pageInfo: { hasNextPage: j.rows.length > first, hasPreviousPage: false, startCursor: cursors[0] ?? null, endCursor: cursors[cursors.length - 1] ?? null },
        totalCount: Number(j.total ?? 0),
      };
      return shape;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Root fields
// ---------------------------------------------------------------------------------------------

function walkOf(ctx: Context, info: GraphQLResolveInfo): Walk {
  return { schema: info.schema, fragments: info.fragments, variables: info.variableValues, em: ctx.em, ctx, aliases: 0, used: new Set([`Query.${info.fieldName}`]) };
}

/** A compiled root field: its statement (the root's own values appended as the last parameters by the caller), hydration, and what it stands in for. */
interface Plan {
  text: string;
  params: unknown[];
  hydrate: Hydrate;
  used: Set<string>;
}

/**
 * Plans compiled before, per document (the root field's AST node: Apollo keeps each parsed document,
 * so the same query text brings back the same nodes), schema, and what the compilation read besides
 * the document: the viewer's role and API-key scopes (grants decide columns and consent statuses),
 * the page-size limit, and the values of the variables the field uses (`rootArgs`: in its arguments
 * too; else only in its selection set, so `customer(id: $id)` is one plan for every id). Compiling
 * was a tenth of the server's CPU on the customer 360. A selection that does not compile is not
 * cached: it is tried again, and falls back, on each request.
 */
const PLAN_CACHE_MAX = 64;
const planCache = new WeakMap<GraphQLSchema, WeakMap<FieldNode, Map<string, Plan>>>();
const variablesUsed = new WeakMap<FieldNode, { all: string[]; inSelection: string[] }>();

/** The variables a root field's nodes use: anywhere (arguments included), and in their selection sets only. */
function variablesOf(info: GraphQLResolveInfo): { all: string[]; inSelection: string[] } {
  const first = info.fieldNodes[0];
  let out = variablesUsed.get(first);
  if (out) return out;
  const walk = (node: unknown, into: Set<string>, seen: Set<string>): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n, into, seen);
      return;
    }
    const n = node as { kind?: string; name?: { value: string } };
    if (n.kind === Kind.VARIABLE) {
      into.add(n.name!.value);
      return;
    }
    if (n.kind === Kind.FRAGMENT_SPREAD) {
      const name = n.name!.value;
      if (!seen.has(name)) {
        seen.add(name);
        walk(info.fragments[name], into, seen);
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && v && typeof v === 'object') walk(v, into, seen);
  };
  const all = new Set<string>();
  const inSelection = new Set<string>();
  for (const f of info.fieldNodes) {
    walk(f, all, new Set());
    walk(f.selectionSet, inSelection, new Set());
  }
  out = { all: [...all].sort(), inSelection: [...inSelection].sort() };
  variablesUsed.set(first, out);
  return out;
}

function planFor(ctx: Context, info: GraphQLResolveInfo, rootArgs: boolean, compile: () => Plan): Plan {
  const v = ctx.viewer!;
  const names = rootArgs ? variablesOf(info).all : variablesOf(info).inSelection;
  // A variable left out (the argument's default applies) is not one given as null; `__absent` cannot be an input field name.
  const values = names.map((n) => (Object.prototype.hasOwnProperty.call(info.variableValues, n) ? info.variableValues[n] : { __absent: true }));
  // (the keys' ids: a plan's parameters hold the suppression check's key pads)
  const key = JSON.stringify([v.role, v.scopes ?? null, ctx.config.maxPageSize, ctx.config.pseudonymKeys.keys.map((k) => k.id), values]);
  let bySchema = planCache.get(info.schema);
  if (!bySchema) planCache.set(info.schema, (bySchema = new WeakMap()));
  let plans = bySchema.get(info.fieldNodes[0]);
  if (!plans) bySchema.set(info.fieldNodes[0], (plans = new Map()));
  let plan = plans.get(key);
  if (!plan) {
    plan = compile();
    if (plans.size >= PLAN_CACHE_MAX) plans.clear();
    plans.set(key, plan);
  }
  return plan;
}

/** Counts, per root field and field resolver, the plans that answered with it (plannerStats.fields). */
function noteUsed(used: Set<string>): void {
  for (const k of used) plannerStats.fields[k] = (plannerStats.fields[k] ?? 0) + 1;
}

/**
 * Statement texts run as named prepared statements, and their names. A plan's text depends only on
 * the query's shape and the viewer's grants (every value is a bind parameter), so the same texts come
 * back; PostgreSQL then parses and plans each once per connection instead of per request. Planning a
 * customer-360 statement cost about three quarters of its PostgreSQL time (README "Performance").
 * At most PREPARED_MAX texts per process get a name (each connection keeps a plan for each name it
 * ran); any other runs unnamed, planned each time as before.
 */
const PREPARED_MAX = 200;
const preparedNames = new Map<string, string>();

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (!name && preparedNames.size < PREPARED_MAX) {
    name = `rapport_plan_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * Runs the plan's statement (`?` placeholders sent as bind parameters) as a named prepared statement
 * (preparedName) on a pooled connection (src/db/pooled-query.ts: no knex query built per request); in
 * the request's transaction, or if it cannot go that way, through knex as before.
 */
async function runRoot(ctx: Context, statement: Sql): Promise<Json | undefined> {
  const name = preparedName(statement.text);
  let rows = name ? await pooledQuery<{ j: string }>(ctx.em, name, statement.text, statement.params) : undefined;
  if (!rows) {
    const query = ctx.em.getKnex().raw(statement.text, statement.params as Knex.RawBinding[]);
    if (name) query.options({ name });
    const trx = ctx.em.getTransactionContext<Knex.Transaction>();
    if (trx) query.transacting(trx);
    ({ rows } = (await query) as { rows: Array<{ j: string }> });
  }
  return rows[0] ? (JSON.parse(rows[0].j) as Json) : undefined;
}

/** `customer(id)` / `node(id)` for a customer: the row if it exists and the viewer may see it (visibleOrNull), else null. */
async function planCustomer(id: string, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  const parsed = fromGlobalId(id);
  if (!parsed || parsed.type !== 'Customer') return FALLBACK;
  return planCustomerRow(parsed.id, ctx, info);
}

/** `me`: the signed-in customer's own row (role CUSTOMER), else null, as its resolver answers. */
async function planMe(ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  return ctx.viewer?.customerId ? planCustomerRow(ctx.viewer.customerId, ctx, info) : FALLBACK;
}

async function planCustomerRow(customerId: string, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  const plan = planFor(ctx, info, false, () => {
    const w = walkOf(ctx, info);
    const type = info.schema.getType('Customer') as GraphQLObjectType;
    const a = nextAlias(w);
    const inner = compileEntity(w, type, a, info.fieldNodes.map((n) => n.selectionSet).filter((s): s is SelectionSetNode => !!s));
    const sharing = raw(`rapport_consent_status(${a}.id, '${THIRD_PARTY_SHARING.purpose}', '${THIRD_PARTY_SHARING.channel}')`);
    // The customer's id is the last parameter, given per request.
    const statement = sql`select json_build_object('row', ${inner.sql}, 'sharing', ${sharing})::text as j from customers ${raw(a)}${joinsOf([inner])} where ${raw(a)}.id = ?::uuid`;
    return { text: statement.text, params: statement.params, hydrate: inner.hydrate, used: w.used };
  });
  const row = await runRoot(ctx, { text: plan.text, params: [...plan.params, customerId] });
  noteUsed(plan.used);
  if (!row) return null;
  const json = row.row as Json;
  const id = String(json.id);
  ctx.loaders.consentStatus.prime(consentKey(id, THIRD_PARTY_SHARING), String(row.sharing));
  // visibleOrNull: staff, the customer themselves, a partner where the customer shares with third parties.
  // (`me` is the viewer's own row: accessKnownNow says yes.)
  const access = accessKnownNow(ctx, id) ?? row.sharing === 'granted';
  return access ? hydrateFor(ctx, plan.hydrate, json) : null;
}

/** `customers(first, after, filter, orderBy)`: keysetPage over listCustomers' filter and sort, in one statement. */
async function planCustomers(args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo): Promise<unknown> {
  const filter = args.filter as Record<string, unknown> | null;
  const orderBy = args.orderBy as { field?: CustomerSortField; direction?: SortDirection } | null;
  const first = checkFirst(args.first as number, ctx.config.maxPageSize);
  const after = decodeCursor(args.after as string | null);
  const where = customerFilterSql({
    ...(filter as object), onlySharingWithPartners: ctx.viewer?.role === Role.PARTNER,
    segmentId: filter?.segmentId == null ? null : expectGlobalOrRawId(filter.segmentId as string, 'Segment', 'filter.segmentId'),
  });
  const sortField = orderBy?.field ?? CustomerSortField.CREATED_AT;
  const direction = orderBy?.direction ?? SortDirection.DESC;
  const sort = SORT_SQL[sortField];
  const plan = planFor(ctx, info, true, () => {
    const w = walkOf(ctx, info);
    const conn = objectType(info.returnType);
    const from = 'customers a left join customer_metrics m on m.customer_id = a.id';
    const whereSql = { text: (where.clauses.length ? where.clauses : ['true']).join(' and '), params: where.params };
    const compiled = compileConnection(w, conn, [...info.fieldNodes], first, after, [], (p) => raw(`${p}.__sort`), (p, nodeSql, joins) => {
      const keyset = after ? sql` and (${raw(sort.expr)}, a.id) ${raw(direction === 'desc' ? '<' : '>')} (${after.v}::${raw(sort.cast)}, ${after.id}::uuid)` : raw('');
      const rows = first === 0
        ? raw(`'[]'::json`)
        : sql`coalesce((select json_agg(${nodeSql} order by ${raw(p)}.__sortv ${raw(direction)}, ${raw(p)}.id ${raw(direction)}) from (
            select a.*, (${raw(sort.expr)})::text as __sort, ${raw(sort.expr)} as __sortv
            from ${raw(from)} where ${whereSql}${keyset} order by ${raw(sort.expr)} ${raw(direction)}, a.id ${raw(direction)} limit ${first + 1}) ${raw(p)}${joins}), '[]'::json)`;
      return { rows, count: sql`(select count(*) from ${raw(from)} where ${whereSql})` };
    });
    const statement = sql`select (${compiled.sql})::text as j`;
    return { text: statement.text, params: statement.params, hydrate: compiled.hydrate, used: w.used };
  });
  const row = await runRoot(ctx, { text: plan.text, params: [...plan.params] });
  noteUsed(plan.used);
  return hydrateFor(ctx, plan.hydrate, row);
}

// ---------------------------------------------------------------------------------------------
// Installation
// ---------------------------------------------------------------------------------------------

type Resolver = GraphQLFieldResolver<unknown, Context>;

/** The root fields the planner answers (the differential test draws queries under each of them). */
const ROOTS: Record<string, (args: Record<string, unknown>, ctx: Context, info: GraphQLResolveInfo) => Promise<unknown>> = {
  customer: (args, ctx, info) => planCustomer(args.id as string, ctx, info),
  node: (args, ctx, info) => planCustomer(args.id as string, ctx, info),
  customers: (args, ctx, info) => planCustomers(args, ctx, info),
  me: (_args, ctx, info) => planMe(ctx, info),
};
export const PLANNED_ROOTS: readonly string[] = Object.keys(ROOTS);
/** Everything the planner compiles that has a resolver of its own: its root fields and RELATIONS (plannerStats.fields keys). */
export const PLANNED_RESOLVERS: readonly string[] = [...PLANNED_ROOTS.map((r) => `Query.${r}`), ...Object.keys(RELATIONS)];
const INSTALLED = Symbol('rapport.planner.installed');

/**
 * Each root field's answer in this request, kept once for a second call: the direct walk
 * (src/planner/direct-walk.ts) resolves the root fields first, and when it gives up, graphql-js
 * resolves them again and takes the same answer (the statement runs once, its objects are the same).
 */
interface RootAnswer {
  outcome: 'compiled' | 'fallback' | undefined;
  answer: Promise<unknown>;
}
const rootAnswers = new WeakMap<Context, Map<FieldNode, RootAnswer>>();

/**
 * Forgets this request's root answers once the direct walk has answered from them: graphql-js will
 * not ask again, and the hydrated rows (entities, their planned children, dates) are otherwise kept
 * alive with the context until the response has been sent, across the audit write's round trip and
 * commit. Under load that is twenty requests' worth of objects surviving each young-generation GC
 * (a scavenge copies what is alive), and being promoted to the old generation.
 */
export function forgetRootAnswers(ctx: Context): void {
  rootAnswers.delete(ctx);
}

/** Whether the planner compiled the root field `node` in this request (settled answers only). */
export function plannedRootOutcome(ctx: Context, node: FieldNode): 'compiled' | 'fallback' | undefined {
  return rootAnswers.get(ctx)?.get(node)?.outcome;
}

/**
 * Runs a plan; anything it cannot answer exactly as the resolvers would (an unsupported selection,
 * a bad argument, a failed statement) falls back to them, and they answer it as they always have.
 */
async function attempt(plan: () => Promise<unknown>, ctx: Context): Promise<unknown> {
  if (!ctx.viewer) return FALLBACK;
  try {
    return await plan();
  } catch (err) {
    // The request was stopped (timeout, budget) or its statement cancelled (57014: statement timeout,
    // cancel request): the resolvers would only run into the same wall, after the request has ended.
    const stopped = currentWork()?.stopped;
    if (stopped) throw stopped;
    if (isStatementCancelled(err)) throw err;
    if (process.env.READ_PLANNER_DEBUG) console.warn(`read planner: fallback (${err instanceof Unsupported ? 'unsupported' : 'error'}): ${(err as Error).message}`); // eslint-disable-line no-console
    return FALLBACK;
  }
}

/**
 * Puts the planner in front of the supported root fields of the bare schema (before the permission
 * layer wraps it), and lets every field resolver it stands in for hand over what the SQL built.
 * Per request, `config.readPlanner` (READ_PLANNER) decides; off, nothing changes.
 */
export function installReadPlanner(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  if (!query || (query as { [INSTALLED]?: boolean })[INSTALLED]) return schema;
  (query as { [INSTALLED]?: boolean })[INSTALLED] = true;
  for (const [name, plan] of Object.entries(ROOTS)) {
    const field = query.getFields()[name];
    if (!field?.resolve) continue;
    const inner = field.resolve as Resolver;
    field.resolve = (source, args, ctx, info) => {
      if (!ctx.config.readPlanner) return inner(source, args, ctx, info);
      let answers = rootAnswers.get(ctx);
      if (!answers) rootAnswers.set(ctx, (answers = new Map()));
      const node = info.fieldNodes[0];
      const kept = answers.get(node);
      if (kept) {
        // graphql-js executing what the direct walk gave up on: the same answer, not a second statement.
        answers.delete(node);
        return kept.answer;
      }
      const entry: RootAnswer = { outcome: undefined, answer: undefined as unknown as Promise<unknown> };
      entry.answer = attempt(() => plan(args, ctx, info), ctx).then((v) => {
        if (v !== FALLBACK) {
          plannerStats.compiled++;
          entry.outcome = 'compiled';
          return v;
        }
        plannerStats.fallback++;
        entry.outcome = 'fallback';
        return inner(source, args, ctx, info);
      });
      answers.set(node, entry);
      return entry.answer;
    };
  }
  // Field resolvers the planner stands in for: the value the SQL built, when the parent carries one.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const standsIn = RELATIONS[`${type.name}.${field.name}`] || (ENTITY_TYPES.has(type.name) && typeKnowledge(type.name).resolved.has(field.name));
      if (!field.resolve || !standsIn) continue;
      const inner = field.resolve as Resolver;
      field.resolve = (source, args, ctx, info) => {
        const planned = (source as { [PLANNED]?: Record<string, unknown> } | null)?.[PLANNED];
        if (planned && info.path.key in planned) return planned[info.path.key as string];
        return inner(source, args, ctx, info);
      };
    }
  }
  return schema;
}
