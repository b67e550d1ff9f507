import { startTestApp, type TestApp } from '../helpers/test-server';
import { fromGlobalId, toGlobalId } from '../../src/schema/global-id';
import { Role } from '../../src/auth/viewer';
import type { EntityManager } from '@mikro-orm/postgresql';
import { listCustomers, CustomerSortField, SortDirection, type CustomerListFilter } from '../../src/services/customer.service';

/**
 * Every criterion and sort key of `customers` (src/services/customer.service.ts: customerFilterSql,
 * SORT_SQL), each against customers placed on both sides of its boundary, so that a criterion dropped,
 * inverted or made strict changes the answer. Also the write guard (requireActiveCustomer) and the
 * identifier lookup of erased customers. Written for the mutation scope `customer`.
 */

let app: TestApp;
/** name → raw UUID */
const ids: Record<string, string> = {};
const names = (edges: Array<{ node: { id: string } }>) => {
  const byId = Object.fromEntries(Object.entries(ids).map(([n, id]) => [id, n]));
  return edges.map((e) => byId[fromGlobalId(e.node.id)!.id]);
};
const LIST = `query($filter: CustomerFilter, $orderBy: CustomerOrderBy, $first: Int!) {
  customers(filter: $filter, orderBy: $orderBy, first: $first) { edges { node { id } } }
}`;
async function list(filter: Record<string, unknown> | null, orderBy: Record<string, unknown> | null = null) {
  const res = await app.gql(LIST, { filter, orderBy, first: 50 });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return names(res.data.customers.edges);
}
const sorted = (xs: string[]) => [...xs].sort();

const T0 = '2026-03-01T12:00:00.000Z'; // created_at of `ada`, last_seen_at of `bob`
const T1 = '2026-04-01T12:00:00.000Z';

beforeAll(async () => {
  app = await startTestApp();
  const make = async (name: string, first: string, last: string, email: string, createdAt: string, lastSeenAt: string, status = 'active') => {
    const [row] = await app.sql<{ id: string }>(
      `insert into customers (first_name, last_name, email, created_at, last_seen_at, status) values (?, ?, ?, ?, ?, ?) returning id`,
      [first, last, email, createdAt, lastSeenAt, status]);
    ids[name] = row.id;
  };
  // Created in this order, each a month apart; last seen in the reverse order.
  await make('ada', 'Ada', 'Lovelace', 'ada@analytical.example', T0, T1);
  await make('bob', 'Bob', 'O\\Brien', 'bob@example.org', '2026-02-01T12:00:00.000Z', T0);
  await make('eve', 'Eve', '100%_sure', 'eve@example.org', '2026-01-01T12:00:00.000Z', '2026-05-01T12:00:00.000Z');
  await make('job', 'Job', 'Jobson', 'job@example.org', '2025-12-01T12:00:00.000Z', '2026-06-01T12:00:00.000Z');
  await make('obj', 'Olga', 'Objector', 'olga@example.org', '2025-11-01T12:00:00.000Z', '2026-07-01T12:00:00.000Z');
  await make('gone', 'Gina', 'Gone', null as unknown as string, '2025-10-01T12:00:00.000Z', '2026-07-01T12:00:00.000Z', 'erased');

  const metrics = async (name: string, m: { rfm: string; tier: string; stage: string; churn: number; clv: number | null; historic: number }) => {
    await app.sql(
      `insert into customer_metrics (customer_id, model_version, currency, orders_count, frequency, historic_value_minor, rfm_segment, clv12m_minor, engagement_decline, negative_feedback90d, churn_risk, value_tier, lifecycle_stage)
       values (?, 'test', 'EUR', 1, 1, ?, ?, ?, 0, 0, ?, ?, ?)`,
      [ids[name], m.historic, m.rfm, m.clv, m.churn, m.tier, m.stage]);
  };
  await metrics('ada', { rfm: 'Champions', tier: 'most_valuable', stage: 'active', churn: 0.1, clv: 50_000, historic: 90_000 });
  await metrics('bob', { rfm: 'At Risk', tier: 'maintain', stage: 'at_risk', churn: 0.7, clv: 1_000, historic: 2_000 });
  await metrics('eve', { rfm: 'Hibernating', tier: 'below_zero', stage: 'lapsed', churn: 0.5, clv: null, historic: 500 });
  // The objector's scores are the highest: every model-based criterion or sort that forgets the objection shows it.
  await metrics('obj', { rfm: 'Champions', tier: 'most_valuable', stage: 'active', churn: 0.95, clv: 90_000, historic: 50_000 });
  // `job` has no metrics.
  const consent = (name: string, purpose: string, channel: string, status: string, daysAgo: number) => app.sql(
    `insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
     values (?, ?, ?, ?, 'consent', 'preference_centre', '2025-06', now() - make_interval(days => ?))`, [ids[name], purpose, channel, status, daysAgo]);
  await consent('obj', 'profiling', 'any', 'withdrawn', 1);
  await consent('ada', 'email_marketing', 'email', 'granted', 3);
  await consent('bob', 'email_marketing', 'any', 'granted', 5);
  await consent('bob', 'email_marketing', 'any', 'denied', 2); // newer: in force
  await consent('eve', 'email_marketing', 'any', 'denied', 4);

  const [seg] = await app.sql<{ id: string }>(`insert into segments (name, rule, created_by) values ('vip', '{}', 'test') returning id`);
  ids.segment = seg.id;
  await app.sql(`insert into segment_memberships (segment_id, customer_id, entered_at, left_at) values (?, ?, now() - interval '9 days', null), (?, ?, now() - interval '9 days', now() - interval '1 day')`,
    [seg.id, ids.ada, seg.id, ids.bob]);
});
afterAll(async () => {
  await app?.close();
});

describe('customers: criteria', () => {
  it('active customers by default, newest created first; status picks others', async () => {
    expect(await list(null)).toEqual(['ada', 'bob', 'eve', 'job', 'obj']);
    expect(await list({ status: ['ERASED'] })).toEqual(['gone']);
    expect(await list({ status: ['ERASED', 'ACTIVE'] })).toEqual(['ada', 'bob', 'eve', 'job', 'obj', 'gone']);
    expect(await list({ status: [] })).toEqual(['ada', 'bob', 'eve', 'job', 'obj']);
  });

  it('email matches the normalised address exactly', async () => {
    expect(await list({ email: ' ADA@Analytical.example ' })).toEqual(['ada']);
    expect(await list({ email: 'ada@analytical.exampl' })).toEqual([]);
  });

  it('an invalid e-mail is refused on the field filter.email', async () => {
    const res = await app.gql(LIST, { filter: { email: 'not an address' }, first: 5 });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.email' });
  });

  it('search matches first name, last name, e-mail or the full name, with LIKE wildcards taken literally', async () => {
    expect(await list({ search: 'ada' })).toEqual(['ada']); // first name (and e-mail)
    expect(await list({ search: 'lovel' })).toEqual(['ada']); // last name only
    expect(await list({ search: 'analytical' })).toEqual(['ada']); // e-mail only
    expect(await list({ search: 'Ada Lovelace' })).toEqual(['ada']); // the full name only
    expect(await list({ search: '  jobson ' })).toEqual(['job']); // trimmed
    expect(await list({ search: '%_' })).toEqual(['eve']); // not "any one character or more"
    expect(await list({ search: 'o\\b' })).toEqual(['bob']); // not "ob" (Job, Jobson, Objector)
    expect(await list({ search: 'ob' })).toEqual(['bob', 'job', 'obj']);
  });

  it('search must be 2 to 100 characters once trimmed', async () => {
    for (const search of ['a', ' a ', 'x'.repeat(101)]) {
      const res = await app.gql(LIST, { filter: { search }, first: 5 });
      expect([search, res.errors?.[0].extensions]).toEqual([search, expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'filter.search' })]);
      expect(res.errors?.[0].message).toContain('filter.search must be 2 to 100 characters');
    }
    expect(await list({ search: 'ab' })).toEqual([]);
    expect(await list({ search: 'x'.repeat(100) })).toEqual([]);
  });

  it('date ranges: after is inclusive, before exclusive', async () => {
    expect(await list({ createdAfter: T0 })).toEqual(['ada']);
    expect(await list({ createdBefore: T0 })).toEqual(['bob', 'eve', 'job', 'obj']);
    expect(await list({ createdAfter: '2026-01-01T12:00:00.000Z', createdBefore: T0 })).toEqual(['bob', 'eve']);
    expect(await list({ lastSeenAfter: T1 })).toEqual(['ada', 'eve', 'job', 'obj']);
    expect(await list({ lastSeenBefore: T1 })).toEqual(['bob']);
    expect(await list({ lastSeenAfter: T0, lastSeenBefore: '2026-05-01T12:00:00.000Z' })).toEqual(['ada', 'bob']);
  });

  it('consent: the consent in force for the channel, GRANTED by default', async () => {
    expect(await list({ consent: { purpose: 'EMAIL_MARKETING', channel: 'EMAIL' } })).toEqual(['ada']);
    expect(await list({ consent: { purpose: 'EMAIL_MARKETING' } })).toEqual([]);
    expect(await list({ consent: { purpose: 'EMAIL_MARKETING', status: 'DENIED' } })).toEqual(['bob', 'eve']);
    expect(await list({ consent: { purpose: 'PROFILING', status: 'WITHDRAWN' } })).toEqual(['obj']);
  });

  it('metrics: each criterion, boundaries included, and model outputs never select an objector to profiling', async () => {
    // RFM is computed from orders, not a model: the objector is listed.
    expect(await list({ value: { rfmSegments: ['Champions'] } })).toEqual(['ada', 'obj']);
    expect(await list({ value: { rfmSegments: ['Champions', 'At Risk'] } })).toEqual(['ada', 'bob', 'obj']);
    expect(await list({ value: { rfmSegments: [] } })).toEqual(['ada', 'bob', 'eve', 'job', 'obj']);
    expect(await list({ value: { valueTiers: ['MOST_VALUABLE'] } })).toEqual(['ada']);
    expect(await list({ value: { valueTiers: ['MOST_VALUABLE', 'BELOW_ZERO'] } })).toEqual(['ada', 'eve']);
    expect(await list({ value: { lifecycleStages: ['ACTIVE', 'AT_RISK'] } })).toEqual(['ada', 'bob']);
    expect(await list({ value: { churnRiskAtLeast: 0.7 } })).toEqual(['bob']);
    expect(await list({ value: { churnRiskAtMost: 0.1 } })).toEqual(['ada']);
    expect(await list({ value: { churnRiskAtMost: 0 } })).toEqual([]);
    expect(await list({ value: { churnRiskAtMost: 1 } })).toEqual(['ada', 'bob', 'eve']); // not the objector (0.95)
    expect(await list({ value: { churnRiskAtLeast: 0.2, churnRiskAtMost: 0.6 } })).toEqual(['eve']);
    expect(await list({ value: { clv12mAtLeastMinor: 1_000 } })).toEqual(['ada', 'bob']);
    expect(await list({ value: { clv12mAtLeastMinor: 1_001 } })).toEqual(['ada']);
    expect(await list({ value: { rfmSegments: ['Champions'], churnRiskAtLeast: 0 } })).toEqual(['ada']);
    expect(await list({ value: {} })).toEqual(['ada', 'bob', 'eve', 'job', 'obj']);
  });

  it('segmentId: the current members only, by global or raw id', async () => {
    expect(await list({ segmentId: toGlobalId('Segment', ids.segment) })).toEqual(['ada']);
    expect(await list({ segmentId: ids.segment })).toEqual(['ada']);
    expect(await list({ segmentId: toGlobalId('Segment', '00000000-0000-4000-8000-000000000000') })).toEqual([]);
  });
});

describe('criteria the resolver sets for other callers (listCustomers directly)', () => {
  const direct = async (filter: CustomerListFilter) => {
    const page = await listCustomers(app.orm.em.fork() as EntityManager, { first: 50, after: null, filter, sort: CustomerSortField.CREATED_AT, direction: SortDirection.DESC });
    const byId = Object.fromEntries(Object.entries(ids).map(([n, id]) => [id, n]));
    return page.nodes.map((c) => byId[c.id]);
  };

  it('ids: exactly the customers named, still under the other criteria', async () => {
    expect(await direct({ ids: [ids.eve, ids.ada] })).toEqual(['ada', 'eve']);
    expect(await direct({ ids: [ids.eve, ids.ada], search: 'eve' })).toEqual(['eve']);
    expect(await direct({ ids: [] })).toEqual([]);
  });

  it('onlySharingWithPartners: only customers whose consent in force grants third-party sharing', async () => {
    const consent = (name: string, channel: string, status: string, daysAgo: number) => app.sql(
      `insert into consent_records (customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
       values (?, 'third_party_sharing', ?, ?, 'consent', 'preference_centre', '2025-06', now() - make_interval(days => ?))`, [ids[name], channel, status, daysAgo]);
    await consent('ada', 'any', 'granted', 3);
    await consent('job', 'any', 'granted', 5);
    await consent('job', 'any', 'withdrawn', 1); // newer: in force
    expect(await direct({ onlySharingWithPartners: true })).toEqual(['ada']);
    expect(await direct({ onlySharingWithPartners: false })).toEqual(['ada', 'bob', 'eve', 'job', 'obj']);
  });
});

describe('customers: paging with after, for each sort key', () => {
  const PAGE = `query($orderBy: CustomerOrderBy, $first: Int!, $after: String) {
    customers(orderBy: $orderBy, first: $first, after: $after) { edges { node { id } } pageInfo { endCursor hasNextPage } }
  }`;
  type PageData = { customers: { edges: Array<{ node: { id: string } }>; pageInfo: { endCursor: string | null; hasNextPage: boolean } } };
  it('pages of two give the whole list, in order, for every key both ways', async () => {
    for (const field of ['CREATED_AT', 'LAST_SEEN_AT', 'CLV_12M', 'CHURN_RISK', 'HISTORIC_VALUE']) {
      for (const direction of ['ASC', 'DESC']) {
        const orderBy = { field, direction };
        const paged: string[] = [];
        let after: string | null = null;
        for (let i = 0; i < 10; i++) {
          const variables: Record<string, unknown> = { orderBy, first: 2, after };
          const res = await app.gql<PageData>(PAGE, variables);
          expect([field, direction, res.errors]).toEqual([field, direction, undefined]);
          const { edges, pageInfo } = res.data!.customers;
          paged.push(...names(edges));
          if (!pageInfo.hasNextPage) break;
          after = pageInfo.endCursor;
        }
        expect([field, direction, paged]).toEqual([field, direction, await list(null, orderBy)]);
      }
    }
  });
});

describe('customers: sort keys', () => {
  it('model outputs sort an objector to profiling as a customer without a score; missing metrics sort last', async () => {
    const clvDesc = await list(null, { field: 'CLV_12M', direction: 'DESC' });
    expect(clvDesc.slice(0, 2)).toEqual(['ada', 'bob']);
    expect(sorted(clvDesc.slice(2))).toEqual(['eve', 'job', 'obj']);
    const clvAsc = await list(null, { field: 'CLV_12M', direction: 'ASC' });
    expect(clvAsc.slice(3)).toEqual(['bob', 'ada']);
    const churnDesc = await list(null, { field: 'CHURN_RISK', direction: 'DESC' });
    expect(churnDesc.slice(0, 3)).toEqual(['bob', 'eve', 'ada']);
    expect(sorted(churnDesc.slice(3))).toEqual(['job', 'obj']);
    const churnAsc = await list(null, { field: 'CHURN_RISK', direction: 'ASC' });
    expect(churnAsc.slice(2)).toEqual(['ada', 'eve', 'bob']);
    // Historic value is computed from orders: the objector keeps their place.
    expect(await list(null, { field: 'HISTORIC_VALUE', direction: 'DESC' })).toEqual(['ada', 'obj', 'bob', 'eve', 'job']);
    expect(await list(null, { field: 'HISTORIC_VALUE', direction: 'ASC' })).toEqual(['job', 'eve', 'bob', 'obj', 'ada']);
    expect(await list(null, { field: 'LAST_SEEN_AT', direction: 'DESC' })).toEqual(['obj', 'job', 'eve', 'ada', 'bob']);
    expect(await list(null, { field: 'CREATED_AT', direction: 'ASC' })).toEqual(['obj', 'job', 'eve', 'bob', 'ada']);
  });
});

describe('writes to customers that are not active, and lookups of erased ones', () => {
  it('a merged customer is refused with the survivor named; an erased one is not found', async () => {
    const [survivor] = await app.sql<{ id: string }>(`insert into customers (email) values ('survivor@example.org') returning id`);
    const [merged] = await app.sql<{ id: string }>(`insert into customers (email, status, merged_into_id) values (null, 'merged', ?) returning id`, [survivor.id]);
    const [mergedNowhere] = await app.sql<{ id: string }>(`insert into customers (email, status) values (null, 'merged') returning id`);
    const SET = `mutation($input: SetConsentInput!) { setConsent(input: $input) { customer { id } } }`;
    const input = (id: string) => ({ customerId: toGlobalId('Customer', id), purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status: 'GRANTED', source: 'test', policyVersion: '2025-06' });
    const m = await app.gql(SET, { input: input(merged.id) });
    expect(m.errors?.[0].message).toBe('customer was merged into another profile; write to the survivor');
    expect(m.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'customerId', mergedIntoId: toGlobalId('Customer', survivor.id) });
    const n = await app.gql(SET, { input: input(mergedNowhere.id) });
    expect(n.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', mergedIntoId: null });
    const e = await app.gql(SET, { input: input(ids.gone) });
    expect(e.errors?.[0].message).toBe('customer not found');
    expect(e.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'customerId' });
    const ok = await app.gql(SET, { input: input(survivor.id) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.setConsent.customer.id).toBe(toGlobalId('Customer', survivor.id));
  });

  it('customerByIdentifier does not find an erased customer by an identifier left behind', async () => {
    const BY = `query($kind: IdentityKind!, $value: String!) { customerByIdentifier(kind: $kind, namespace: "CRM", value: $value) { id } }`;
    const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`;
    const kept = (await app.gql(UPSERT, { input: { email: 'kept@example.org', identities: [{ kind: 'CRM_ID', namespace: 'crm', value: 'kept-crm-1' }] } })).data.upsertCustomer.customer.id;
    const erased = (await app.gql(UPSERT, { input: { email: 'gone@example.org', identities: [{ kind: 'CRM_ID', namespace: 'crm', value: 'gone-crm-1' }] } })).data.upsertCustomer.customer.id;
    await app.sql(`update customers set status = 'erased' where id = ?`, [fromGlobalId(erased)!.id]);
    expect((await app.gql(BY, { kind: 'CRM_ID', value: 'gone-crm-1' })).data.customerByIdentifier).toBeNull();
    expect((await app.gql(BY, { kind: 'CRM_ID', value: ' kept-crm-1 ' })).data.customerByIdentifier).toEqual({ id: kept });
    expect((await app.gql(BY, { kind: 'CRM_ID', value: 'nobody' }, { role: Role.SUPPORT })).data.customerByIdentifier).toBeNull();
  });
});
