import { profilingObjectionSql } from '../auth/policy';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, Identity } from '../entities';
import { CustomerStatus, IdentityKind } from '../entities/enums';
import { DomainError, ErrorCode, badInput, conflict } from '../errors/domain-error';
import { normalizeEmail, normalizeIdentifier } from './identity-normalizer';
import { keysetPage, textArray, uuidArray, type Cursor } from './pagination';
import type { Page } from '../schema/connection';
import { toGlobalId } from '../schema/global-id';


/** Loads a customer that can still be written to; merged and erased profiles are explained, not silently used. */
export async function requireActiveCustomer(em: EntityManager, id: string, field = 'customerId'): Promise<Customer> {
  const customer = await em.findOne(Customer, { id });
  if (!customer || customer.status === CustomerStatus.ERASED) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field });
  if (customer.status === CustomerStatus.MERGED) {
    throw conflict('customer was merged into another profile; write to the survivor', {
      field, mergedIntoId: customer.mergedInto ? toGlobalId('Customer', customer.mergedInto.id) : null,
    });
  }
  return customer;
}

/** Called inside the writer's transaction with the customer written: privileged writes are audited atomically. */
export type WriteAudit = (em: EntityManager, customerId: string | null) => Promise<void>;

export async function findCustomerByIdentifier(em: EntityManager, kind: IdentityKind, value: string, namespace = ''): Promise<Customer | null> {
  const id = normalizeIdentifier(kind, value, namespace);
  const identity = await em.findOne(Identity, { kind: id.kind, namespace: id.namespace, value: id.value }, { populate: ['customer'] });
  if (!identity || identity.customer.status === CustomerStatus.ERASED) return null;
  return identity.customer;
}

/** Sort keys: the SQL expression (never null, so keyset comparisons hold) and its type. */
export enum CustomerSortField {
  CREATED_AT = 'created_at',
  LAST_SEEN_AT = 'last_seen_at',
  CLV_12M = 'clv_12m',
  CHURN_RISK = 'churn_risk',
  HISTORIC_VALUE = 'historic_value',
}

export const SORT_SQL: Record<CustomerSortField, { expr: string; cast: 'timestamptz' | 'bigint' | 'float8' }> = {
  [CustomerSortField.CREATED_AT]: { expr: 'a.created_at', cast: 'timestamptz' },
  [CustomerSortField.LAST_SEEN_AT]: { expr: 'a.last_seen_at', cast: 'timestamptz' },
  [CustomerSortField.CLV_12M]: { expr: 'coalesce(m.clv12m_minor, -1)', cast: 'bigint' },
  [CustomerSortField.CHURN_RISK]: { expr: 'coalesce(m.churn_risk, -1)', cast: 'float8' },
  [CustomerSortField.HISTORIC_VALUE]: { expr: 'coalesce(m.historic_value_minor, -1)', cast: 'bigint' },
};

export enum SortDirection {
  ASC = 'asc',
  DESC = 'desc',
}

export interface CustomerListFilter {
  status?: CustomerStatus[] | null;
  search?: string | null;
  email?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  lastSeenAfter?: Date | null;
  lastSeenBefore?: Date | null;
  ids?: string[];
  consent?: { purpose: string; channel?: string | null; status?: string | null } | null;
  /** Partners: only customers whose consent in force grants third-party sharing. */
  onlySharingWithPartners?: boolean;
  value?: {
    rfmSegments?: string[] | null;
    valueTiers?: string[] | null;
    lifecycleStages?: string[] | null;
    churnRiskAtLeast?: number | null;
    churnRiskAtMost?: number | null;
    clv12mAtLeastMinor?: number | null;
  } | null;
  segmentId?: string | null;
}

/** Translates a customer filter to SQL over alias `c`. Shared by the page and its count. */
export function customerFilterSql(filter: CustomerListFilter | null | undefined): { clauses: string[]; params: unknown[] } {
  // Alias `a`, as keysetPage expects.
  const clauses: string[] = [];
  const params: unknown[] = [];
  const statuses = filter?.status?.length ? filter.status : [CustomerStatus.ACTIVE];
  clauses.push(`a.status = any(?::text[])`);
  params.push(`{${statuses.join(',')}}`);
  if (filter?.email) {
    clauses.push(`a.email = ?`);
    params.push(normalizeEmail(filter.email, 'filter.email'));
  }
  if (filter?.search) {
    const term = filter.search.trim();
    if (term.length < 2 || term.length > 100) throw badInput('filter.search must be 2 to 100 characters', 'filter.search');
    const like = `%${term.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    clauses.push(`(a.first_name ilike ? or a.last_name ilike ? or a.email ilike ? or (a.first_name || ' ' || a.last_name) ilike ?)`);
    params.push(like, like, like, like);
  }
  const range: Array<[keyof CustomerListFilter, string, string]> = [
    ['createdAfter', 'created_at', '>='],
    ['createdBefore', 'created_at', '<'],
    ['lastSeenAfter', 'last_seen_at', '>='],
    ['lastSeenBefore', 'last_seen_at', '<'],
  ];
  for (const [key, column, op] of range) {
    const v = filter?.[key] as Date | null | undefined;
    if (v) {
      clauses.push(`a.${column} ${op} ?`);
      params.push(v);
    }
  }
  if (filter?.consent) {
    // Targeting lists go by the consent in force: the newest record for the channel or for ANY.
    clauses.push(`rapport_consent_status(a.id, ?, ?) = ?`);
    params.push(filter.consent.purpose, filter.consent.channel ?? 'any', filter.consent.status ?? 'granted');
  }
  if (filter?.onlySharingWithPartners) {
    clauses.push(`rapport_consent_status(a.id, 'third_party_sharing', 'any') = 'granted'`);
  }
  const v = filter?.value;
  if (v) {
    for (const [list, column] of [[v.rfmSegments, 'rfm_segment'], [v.valueTiers, 'value_tier'], [v.lifecycleStages, 'lifecycle_stage']] as const) {
      if (list?.length) {
        clauses.push(`m.${column} = any(?::text[])`);
        params.push(textArray(list));
      }
    }
    for (const [value, sql] of [[v.churnRiskAtLeast, 'm.churn_risk >= ?'], [v.churnRiskAtMost, 'm.churn_risk <= ?'], [v.clv12mAtLeastMinor, 'm.clv12m_minor >= ?']] as const) {
      if (value != null) {
        clauses.push(sql);
        params.push(value);
      }
    }
    // Model outputs do not select customers who objected to profiling (PROFILING_OBJECTION).
    if (v.valueTiers?.length || v.lifecycleStages?.length || v.churnRiskAtLeast != null || v.churnRiskAtMost != null || v.clv12mAtLeastMinor != null) {
      clauses.push(`not ${profilingObjectionSql('a.id')}`);
    }
  }
  if (filter?.segmentId) {
    clauses.push('exists (select 1 from segment_memberships sm where sm.segment_id = ? and sm.customer_id = a.id and sm.left_at is null)');
    params.push(filter.segmentId);
  }
  if (filter?.ids) {
    clauses.push(`a.id = any(?::uuid[])`);
    params.push(uuidArray(filter.ids));
  }
  return { clauses, params };
}

/** Customers by keyset: one statement per page (plus one if totalCount is asked). */
export function listCustomers(
  em: EntityManager,
  args: { first: number; after: Cursor | null; filter?: CustomerListFilter | null; sort: CustomerSortField; direction: SortDirection },
): Promise<Page<Customer>> {
  const { clauses, params } = customerFilterSql(args.filter);
  const sort = SORT_SQL[args.sort];
  return keysetPage(em, {
    entity: Customer, table: 'customers', joins: 'left join customer_metrics m on m.customer_id = a.id', clauses, params,
    sortColumn: args.sort, sortExpr: sort.expr, sortCast: sort.cast, direction: args.direction, first: args.first, after: args.after,
  });
}
