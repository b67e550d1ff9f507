import type { EntityManager } from '@mikro-orm/postgresql';
import { ReferenceKind, SCALAR_TYPES, Utils, type EntityMetadata, type EntityName, type EntityProperty } from '@mikro-orm/core';

/**
 * Read-only entity instances from raw rows, WITHOUT the unit of work.
 *
 * `em.map()` makes every row a managed entity: identity-map lookup and registration, a WrappedEntity,
 * change-tracking accessors per property, a managed reference (with its own identity-map entry and
 * propagation hooks) per to-one relation, and a snapshot for dirty checking. That was a third of the
 * API's CPU under the read benchmark, and none of it is used by the read paths (loaders, keyset pages),
 * which only hand the objects to GraphQL.
 *
 * What this returns instead:
 *  - an instance of the entity class (`instanceof` holds: type-graphql resolves interface types by it),
 *    so the class' getters (`globalId`, `total`…) work; the constructor is not run (as with em.map);
 *  - scalar properties converted exactly as em.map + the hydrator do (column → property mapping by the
 *    ORM's compiled result mapper, the validator's type fixes, custom types' convertToJSValue,
 *    booleans, dates), as plain own data properties;
 *  - to-one relations as unmanaged references of the target class carrying only the primary key
 *    (what an uninitialised MikroORM reference carries).
 *
 * They are never in the identity map: do not persist, modify or flush them (write paths load through
 * the EntityManager as before). Entity features these loaders never meet (embeddables, collections,
 * scalar references, references TO an entity with a composite key) are refused, not silently mis-mapped.
 */

type Row = Record<string, unknown>;
type Mapper = (row: Row) => object;

interface Compiled {
  map: Mapper;
  /** `map` for rows that hold only `columns` (read-planner rows): the same conversions, without visiting the entity's other properties. */
  forColumns: (columns: readonly string[]) => Mapper;
  /** A PK-only reference of this entity (what a to-one relation to it holds). */
  reference: (pk: unknown) => object;
}

const compiled = new WeakMap<EntityMetadata, Compiled>();

/**
 * Whether MikroORM's `validator.validateProperty(prop, v)` would return `v` itself without throwing:
 * null or undefined, or a value already of the property's runtime type (its `fixTypes` changes
 * only a string or number given for a Date, a string for a number, a number for a boolean), and,
 * for an enum with items, one of them (the validator's own `===` test). Anything else is left to the
 * validator. Read-planner rows are JSON already typed by PostgreSQL, so this answers most of them
 * without the validator's `Object.prototype.toString` type probe (about a fifth of hydration, profiled).
 */
function alreadyValid(prop: EntityProperty, v: unknown): boolean {
  if (v == null) return true;
  const type = prop.runtimeType;
  const sameType = type === 'Date' ? v instanceof Date && Object.prototype.toString.call(v) === '[object Date]' : typeof v === type && (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint');
  if (!sameType) return false;
  return !(prop.enum && prop.items) || (prop.items as unknown[]).indexOf(v) !== -1;
}

/** The prototype light instances get: the entity's own, with MikroORM's change-tracking setters shadowed by plain slots. */
function lightPrototype(meta: EntityMetadata): object {
  const proto = Object.create(meta.prototype as object) as object;
  for (let p: object | null = meta.prototype as object; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (!(name in meta.properties) || Object.prototype.hasOwnProperty.call(proto, name)) continue;
      const desc = Object.getOwnPropertyDescriptor(p, name)!;
      // Only MikroORM's accessors without a getter of the entity's own (a setter-only slot) are shadowed;
      // user getters (`globalId`, `total`) are not entity properties with columns and stay reachable.
      if (desc.set && !desc.get) Object.defineProperty(proto, name, { value: undefined, writable: true, enumerable: false, configurable: true });
    }
  }
  return proto;
}

function compile(em: EntityManager, meta: EntityMetadata): Compiled {
  const existing = compiled.get(meta);
  if (existing) return existing;
  const platform = em.getPlatform();
  const validator = em.getValidator();
  const comparator = em.getComparator();
  const metadata = em.getMetadata();
  const tz = platform.getTimezone();
  const proto = lightPrototype(meta);
  // A composite key (interactions: id + occurred_at, the partition key) maps rows like any other; only a
  // PK-only reference to such an entity is refused (no to-one relation points at one).
  const pk = meta.primaryKeys.length === 1 ? (meta.primaryKeys[0] as string) : null;

  // em.map's first pass: the validator's type fixes, for the same properties.
  const validated = meta.props.filter(
    (prop) => prop.kind === ReferenceKind.SCALAR && SCALAR_TYPES.includes(prop.runtimeType) && !prop.customType && (prop.setter || !prop.getter),
  );
  /** The validator's fixes on `data`, in place, for those of `props` it holds (a value already valid is kept: alreadyValid). */
  const validate = (props: EntityProperty[], data: Row): void => {
    for (const prop of props) {
      if (!(prop.name in data)) continue;
      const v = data[prop.name];
      if (!alreadyValid(prop, v)) data[prop.name] = validator.validateProperty(prop, v, data);
    }
  };

  type Step = (entity: Record<string, unknown>, data: Row) => void;
  const steps: Step[] = [];
  const stepOf = new Map<string, Step>();
  for (const prop of meta.hydrateProps as EntityProperty[]) {
    const name = prop.name;
    const before = steps.length;
    if (prop.embedded || prop.kind === ReferenceKind.EMBEDDED || prop.ref) throw new Error(`lightMap: ${meta.className}.${name} (embedded or reference wrapper) is not supported`);
    if (prop.kind === ReferenceKind.SCALAR) {
      if (prop.getter && !prop.setter && prop.persist === false) continue;
      if (prop.customType) {
        const type = prop.customType;
        steps.push((e, d) => {
          const v = d[name];
          if (v === null) e[name] = null;
          else if (v !== undefined) e[name] = type.convertToJSValue(v, platform);
        });
      } else if (prop.runtimeType === 'boolean') {
        steps.push((e, d) => {
          const v = d[name];
          if (v === null) e[name] = null;
          else if (v !== undefined) e[name] = !!v;
        });
      } else if (prop.runtimeType === 'Date' && !platform.isNumericProperty(prop)) {
        steps.push((e, d) => {
          const v = d[name] as Date | string | number | null | undefined;
          if (v === null) e[name] = null;
          else if (v === undefined) return;
          else if (v instanceof Date) e[name] = v;
          else if (!tz || tz === 'local') e[name] = new Date(v);
          else if (typeof v === 'number' || v.includes('+') || v.lastIndexOf('-') > 10 || v.endsWith('Z')) e[name] = new Date(v);
          else e[name] = new Date(v + tz);
        });
      } else {
        steps.push((e, d) => {
          const v = d[name];
          if (v === null) e[name] = null;
          else if (v !== undefined) e[name] = v;
        });
      }
    } else if (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) {
      const targetName = prop.targetMeta?.className ?? prop.type;
      let target: Compiled | undefined;
      steps.push((e, d) => {
        const v = d[name];
        if (v === null) e[name] = null;
        else if (v !== undefined) {
          if (!Utils.isPrimaryKey(v, true)) throw new Error(`lightMap: ${meta.className}.${name} is not a primary key value`);
          e[name] = (target ??= compile(em, metadata.get(targetName))).reference(v);
        }
      });
    } else {
      throw new Error(`lightMap: ${meta.className}.${name} (${prop.kind}) is not supported`);
    }
    if (steps.length > before) stepOf.set(name, steps[steps.length - 1]);
  }

  /**
   * What the ORM's compiled result mapper (`comparator.mapResult`) does to the column of a
   * single-column property: booleans and dates converted, anything else as it is.
   */
  const mapped = (prop: EntityProperty): ((v: unknown) => unknown) => {
    if (prop.runtimeType === 'boolean') return (v) => (v == null ? v : !!v);
    if (prop.runtimeType === 'Date' && !platform.isNumericProperty(prop)) {
      return (v) => {
        if (v == null || v instanceof Date) return v;
        if (typeof v === 'bigint') return platform.parseDate(Number(v));
        if (!tz || tz === 'local') return platform.parseDate(v as string);
        const t = v as string | number;
        return typeof t === 'number' || t.includes('+') || t.lastIndexOf('-') > 10 || t.endsWith('Z') ? platform.parseDate(t) : platform.parseDate(t + tz);
      };
    }
    return (v) => v;
  };
  const byColumns = new Map<string, Mapper>();
  const forColumns = (columns: readonly string[]): Mapper => {
    const cacheKey = columns.join(',');
    const known = byColumns.get(cacheKey);
    if (known) return known;
    const wanted = new Set(columns);
    const plan: Array<{ column: string; name: string; convert: (v: unknown) => unknown; validate?: EntityProperty; step?: Step }> = [];
    let exact = true;
    const covered = new Set<string>();
    for (const prop of meta.props as EntityProperty[]) {
      if (!prop.fieldNames?.some((f) => wanted.has(f))) continue;
      if (prop.fieldNames.length !== 1 || prop.embedded || prop.kind === ReferenceKind.EMBEDDED) exact = false;
      covered.add(prop.fieldNames[0]);
      plan.push({ column: prop.fieldNames[0], name: prop.name, convert: mapped(prop), validate: validated.includes(prop) ? prop : undefined });
    }
    // Any column no single-column property maps (mapResult would copy it under its own name): the general mapper.
    if (!exact || columns.some((c) => !covered.has(c))) return result.map;
    // Steps in the order `map` runs them (hydrateProps), each for a property the row can hold.
    const order = new Map((meta.hydrateProps as EntityProperty[]).map((p, i) => [p.name, i]));
    const stepsOf = plan.filter((x) => stepOf.has(x.name)).sort((a, b) => order.get(a.name)! - order.get(b.name)!).map((x) => stepOf.get(x.name)!);
    const validations = validated.filter((prop) => plan.some((x) => x.name === prop.name));
    const map: Mapper = (row) => {
      const data: Row = {};
      for (const x of plan) {
        const v = row[x.column];
        if (v !== undefined) data[x.name] = x.convert(v);
      }
      validate(validations, data);
      const entity = Object.create(proto) as Record<string, unknown>;
      for (const step of stepsOf) step(entity, data);
      return entity;
    };
    byColumns.set(cacheKey, map);
    return map;
  };

  const result: Compiled = {
    forColumns,
    map(row) {
      const data = comparator.mapResult(meta.className, row) as Row;
      validate(validated, data);
      const entity = Object.create(proto) as Record<string, unknown>;
      for (const step of steps) step(entity, data);
      return entity;
    },
    reference(value) {
      if (pk === null) throw new Error(`lightMap: ${meta.className} has a composite primary key: no reference to it`);
      const entity = Object.create(proto) as Record<string, unknown>;
      entity[pk] = value;
      return entity;
    },
  };
  compiled.set(meta, result);
  return result;
}

/**
 * `lightMapper` for rows that hold only `columns` (the read planner's rows: src/planner/read-planner.ts):
 * the same instances, made by converting only those columns' properties.
 */
export function lightMapperFor<T extends object>(em: EntityManager, entity: EntityName<T>, columns: readonly string[]): (row: Row) => T {
  const meta = em.getMetadata().get(Utils.className(entity));
  return compile(em, meta).forColumns(columns) as (row: Row) => T;
}

/** A mapper from raw rows (column names as in the table) to unmanaged, read-only instances of `entity`. */
export function lightMapper<T extends object>(em: EntityManager, entity: EntityName<T>): (row: Row) => T {
  const meta = em.getMetadata().get(Utils.className(entity));
  return compile(em, meta).map as (row: Row) => T;
}
