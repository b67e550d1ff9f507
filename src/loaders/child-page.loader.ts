import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName } from '@mikro-orm/core';
import type { Page } from '../schema/connection';
import { encodeCursor, uuidArray, type Cursor } from '../services/pagination';
import { lightMapper } from '../db/light-map';

/** A SQL filter over the child table (alias `c`), with its bind parameters and a stable signature for batching. */
export interface SqlFilter {
  clauses: string[];
  params: unknown[];
  signature: string;
}

export const NO_FILTER: SqlFilter = { clauses: [], params: [], signature: '' };

export interface ChildPageSpec<T> {
  entity: EntityName<T>;
  table: string;
  parentColumn: string;
  /** Sort column; pages run newest first, ties broken by id. */
  sortColumn: string;
  sortCast: 'timestamptz' | 'bigint';
  /**
   * How a child row `c` belongs to the parent `k.parent_id`, for children that are not linked by a
   * column of their own (a segment's members live in segment_memberships). Default:
   * `c.<parentColumn> = k.parent_id`.
   */
  parentMatch?: string;
}

export interface ChildPageKey {
  parentId: string;
  first: number;
  after: Cursor | null;
  filter: SqlFilter;
  /**
   * The query selects totalCount (see `selectsField`): the count is then fetched in the page's own
   * statement and primed into the count loader. A hint only, not part of the cache key: a page
   * loaded without it still counts on demand.
   */
  withCount?: boolean;
}

const keyOf = (k: ChildPageKey) => JSON.stringify([k.parentId, k.first, k.after, k.filter.signature]);

/**
 * One page of children for many parents in ONE statement per distinct argument set:
 * `unnest(parent ids) CROSS JOIN LATERAL (… ORDER BY sort DESC, id DESC LIMIT first+1)`, so a list of
 * 100 customers asking for their 5 latest orders costs one query, served by the (parent, sort, id) index.
 */
export function createChildPageLoader<T extends object>(em: EntityManager, spec: ChildPageSpec<T>) {
  const map = lightMapper(em, spec.entity);
  const parentMatch = spec.parentMatch ?? `c.${spec.parentColumn} = k.parent_id`;
  const counts = new DataLoader<{ parentId: string; filter: SqlFilter }, number, string>(
    async (keys) => {
      const groups = groupBy(keys, (k) => k.filter.signature);
      const result = new Map<string, number>();
      for (const group of groups.values()) {
        const { filter } = group[0];
        const where = filter.clauses.length ? ` and ${filter.clauses.join(' and ')}` : '';
        const rows: Array<{ parent: string; n: string }> = spec.parentMatch
          ? await em.execute(
            `select k.parent_id::text as parent, (select count(*) from ${spec.table} c where ${spec.parentMatch}${where}) as n
             from unnest(?::uuid[]) as k(parent_id)`,
            // Placeholders in text order: the filter's (inside the subquery), then the parent ids.
            [...filter.params, uuidArray(unique(group.map((k) => k.parentId)))],
          )
          : await em.execute(
            `select c.${spec.parentColumn} as parent, count(*) as n from ${spec.table} c
             where c.${spec.parentColumn} = any(?::uuid[])${where} group by c.${spec.parentColumn}`,
            [uuidArray(unique(group.map((k) => k.parentId))), ...filter.params],
          );
        for (const r of rows) result.set(`${r.parent}|${filter.signature}`, Number(r.n));
      }
      return keys.map((k) => result.get(`${k.parentId}|${k.filter.signature}`) ?? 0);
    },
    { cacheKeyFn: (k) => `${k.parentId}|${k.filter.signature}` },
  );

  return new DataLoader<ChildPageKey, Page<T>, string>(
    async (keys) => {
      const groups = groupBy(keys, (k) => JSON.stringify([k.first, k.after, k.filter.signature]));
      const pages = new Map<string, Page<T>>();
      for (const group of groups.values()) {
        const { first, after, filter } = group[0];
        const parentIds = unique(group.map((k) => k.parentId));
        const clauses = [...filter.clauses];
        const params: unknown[] = [uuidArray(parentIds), ...filter.params];
        if (after) {
          clauses.push(`(c.${spec.sortColumn}, c.id) < (?::${spec.sortCast}, ?::uuid)`);
          params.push(after.v, after.id);
        }
        params.push(first + 1);
        const where = clauses.length ? ` and ${clauses.join(' and ')}` : '';
        const page = `(
             select c.*, c.${spec.sortColumn}::text as "__sort" from ${spec.table} c
             where ${parentMatch}${where}
             order by c.${spec.sortColumn} desc, c.id desc limit ?
           ) t`;
        let rows: Array<Record<string, unknown>> = [];
        const fetches = first > 0 || !!after;
        if (fetches && !group.some((k) => k.withCount)) {
          rows = await em.execute(`select k.parent_id::text as "__parent", t.* from unnest(?::uuid[]) as k(parent_id) cross join lateral ${page}`, params);
        } else if (fetches) {
          // One row per parent at least (left join), each with the parent's count under the filter
          // (not the cursor): the same figure the count loader would fetch in a statement of its own.
          const countWhere = filter.clauses.length ? ` and ${filter.clauses.join(' and ')}` : '';
          const all: Array<Record<string, unknown>> = await em.execute(
            `select k.parent_id::text as "__parent",
               (select count(*) from ${spec.table} c where ${parentMatch}${countWhere}) as "__total", t.*
             from unnest(?::uuid[]) as k(parent_id) left join lateral ${page} on true`,
            // Placeholders in text order: the count's filter, then the page's.
            [...filter.params, ...params],
          );
          for (const { __total, ...row } of all) {
            counts.prime({ parentId: row.__parent as string, filter }, Number(__total));
            if (row.id != null) rows.push(row);
          }
        }
        const byParent = groupBy(rows, (r) => String(r.__parent));
        for (const key of group) {
          const own = byParent.get(key.parentId) ?? [];
          const visible = own.slice(0, first);
          pages.set(keyOf(key), {
            nodes: visible.map(({ __sort, __parent, ...row }) => map(row)),
            cursors: visible.map((r) => encodeCursor({ v: r.__sort as string, id: String(r.id) })),
            hasNextPage: own.length > first,
            totalCount: () => counts.load({ parentId: key.parentId, filter: key.filter }),
          });
        }
      }
      return keys.map((k) => pages.get(keyOf(k))!);
    },
    { cacheKeyFn: keyOf },
  );
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
