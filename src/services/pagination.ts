import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName } from '@mikro-orm/core';
import { badInput } from '../errors/domain-error';
import type { Page } from '../schema/connection';
import { lightMapper } from '../db/light-map';

/** A keyset position: the sort value and the id of the last row seen. Opaque to clients. */
export interface Cursor {
  v: string | number | null;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | null | undefined): Cursor | null {
  if (raw == null) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' &&
      (parsed[0] === null || typeof parsed[0] === 'string' || typeof parsed[0] === 'number') &&
      /^[0-9a-f-]{36}$/.test(parsed[1])
    ) {
      return { v: parsed[0], id: parsed[1] };
    }
  } catch {
    /* fall through */
  }
  throw badInput('after is not a cursor returned by this connection', 'after');
}

/** Validates `first` against the configured cap; connections never return unbounded lists. */
export function checkFirst(first: number, max: number): number {
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw badInput(`first must be between 0 and ${max}`, 'first');
  }
  return first;
}

/** A Postgres array literal of UUIDs for `= any(?::uuid[])` / `unnest(?::uuid[])`: one bind parameter whatever the length. */
export function uuidArray(ids: readonly string[]): string {
  for (const id of ids) if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a uuid: ${id}`);
  return `{${ids.join(',')}}`;
}

export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

export interface KeysetQuery<T> {
  entity: EntityName<T>;
  /** The table, aliased `a` here; `joins` may add more (their columns are for filters and sorting only). */
  table: string;
  joins?: string;
  /** Filters over alias `a`, shared by the page and its count. */
  clauses: string[];
  params: unknown[];
  /** A column of `a`, or with `sortExpr`, any non-null expression. */
  sortColumn: string;
  sortExpr?: string;
  sortCast: 'timestamptz' | 'text' | 'bigint' | 'float8';
  direction: 'asc' | 'desc';
  first: number;
  after: Cursor | null;
}

/**
 * One page of a root connection by keyset (sort value, id): stable under concurrent inserts, one
 * statement per page, and a count statement only when a client selects totalCount.
 */
export async function keysetPage<T extends object>(em: EntityManager, q: KeysetQuery<T>): Promise<Page<T>> {
  const where = q.clauses.length ? q.clauses : ['true'];
  const from = `${q.table} a ${q.joins ?? ''}`;
  const sort = q.sortExpr ?? `a.${q.sortColumn}`;
  const pageClauses = [...where];
  const pageParams = [...q.params];
  if (q.after) {
    pageClauses.push(`(${sort}, a.id) ${q.direction === 'desc' ? '<' : '>'} (?::${q.sortCast}, ?::uuid)`);
    pageParams.push(q.after.v, q.after.id);
  }
  const rows: Array<Record<string, unknown>> = q.first === 0 ? [] : await em.execute(
    `select a.*, (${sort})::text as "__sort" from ${from} where ${pageClauses.join(' and ')}
     order by ${sort} ${q.direction}, a.id ${q.direction} limit ?`,
    [...pageParams, q.first + 1],
  );
  const visible = rows.slice(0, q.first);
  // Read-only page nodes: unmanaged instances (src/db/light-map.ts), no unit of work.
  const map = lightMapper(em, q.entity);
  let count: Promise<number> | undefined;
  return {
    nodes: visible.map(({ __sort, ...row }) => map(row)),
    cursors: visible.map((r) => encodeCursor({ v: r.__sort as string, id: String(r.id) })),
    hasNextPage: rows.length > q.first,
    totalCount: () =>
      (count ??= em.execute(`select count(*) as n from ${from} where ${where.join(' and ')}`, q.params).then((r) => Number((r[0] as { n: string }).n))),
  };
}

/**
 * A newest-first page (`created_at desc, id desc`) of a log-like table, filtered by equality on columns
 * of `a`. A filter whose value is null or undefined filters nothing: an optional `status` argument.
 * Column names come from code, never from clients; values are bound.
 */
export function newestFirstPage<T extends object>(
  em: EntityManager, entity: EntityName<T>, table: string, equal: Record<string, unknown>, first: number, after: Cursor | null,
): Promise<Page<T>> {
  const filters = Object.entries(equal).filter(([, value]) => value != null);
  return keysetPage(em, {
    entity, table, clauses: filters.map(([column]) => `a.${column} = ?`), params: filters.map(([, value]) => value),
    sortColumn: 'created_at', sortCast: 'timestamptz', direction: 'desc', first, after,
  });
}
