import { startTestApp, type GraphQLResponse, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct } from '../helpers/fixtures';
import { fromGlobalId } from '../../src/schema/global-id';
import {
  CustomerByIdDocument, CustomerByIdentifierDocument, CustomerConsentsDocument, CustomerInteractionsDocument, CustomersPageDocument,
  NodeByIdDocument, RecordFeedbackDocument, type CustomerInteractionsQuery, type CustomersPageQuery, RecordInteractionDocument, RecordOrderDocument, SetConsentDocument, UpsertCustomerDocument,
} from '../generated/graphql';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('upsertCustomer', () => {
  it('creates a customer with normalised identifiers, then finds it again by any of them', async () => {
    const created = await app.gql(UpsertCustomerDocument, {
      input: {
        email: '  Grace.Hopper@Example.COM ', phone: '+44 20 7946 0958', firstName: 'Grace', lastName: 'Hopper', locale: 'en-gb',
        birthDate: '1906-12-09', identities: [{ kind: 'CRM_ID', namespace: 'Salesforce', value: ' 003XYZ ' }], traits: { tier: 'gold' },
      },
    });
    expect(created.errors).toBeUndefined();
    const c = created.data!.upsertCustomer;
    expect(c.created).toBe(true);
    expect(c.customer).toMatchObject({ email: 'grace.hopper@example.com', phone: '+442079460958', locale: 'en-GB', birthDate: '1906-12-09', traits: { tier: 'gold' } });
    expect(c.customer.identities).toEqual(
      expect.arrayContaining([
        { kind: 'EMAIL', namespace: '', value: 'grace.hopper@example.com' },
        { kind: 'PHONE', namespace: '', value: '+442079460958' },
        { kind: 'CRM_ID', namespace: 'salesforce', value: '003XYZ' },
      ]),
    );

    const byPhone = await app.gql(CustomerByIdentifierDocument, { kind: 'PHONE', value: '020 7946 0958'.replace(/^0/, '+44 ') });
    expect(byPhone.data!.customerByIdentifier!.id).toBe(c.customer.id);
    const byCrm = await app.gql(CustomerByIdentifierDocument, { kind: 'CRM_ID', namespace: 'salesforce', value: '003XYZ' });
    expect(byCrm.data!.customerByIdentifier!.id).toBe(c.customer.id);

    // A second source sends the same person by email: it updates, never duplicates.
    const again = await app.gql(UpsertCustomerDocument, { input: { email: 'grace.hopper@example.com', lastName: 'Hopper-Murray', traits: { store: 'Arlington' } } });
    expect(again.data!.upsertCustomer).toMatchObject({ created: false, customer: { id: c.customer.id, firstName: 'Grace', lastName: 'Hopper-Murray', traits: { tier: 'gold', store: 'Arlington' } } });
    const count = await app.sql<{ n: string }>(`select count(*) n from customers where email = 'grace.hopper@example.com'`);
    expect(Number(count[0].n)).toBe(1);
  });

  // Linked by email they would merge (tests/integration/merges.test.ts); a DEVICE may not merge
  // two profiles automatically under the default MERGE_POLICY.
  it('refuses identifiers of two different customers that the merge policy may not join (CONFLICT) and writes nothing', async () => {
    const a = await makeCustomer(app, { identities: [{ kind: 'DEVICE', value: 'cg-device-a' }] });
    const b = await makeCustomer(app);
    const res = await app.gql(UpsertCustomerDocument, { input: { email: b.email, identities: [{ kind: 'DEVICE', value: 'cg-device-a' }], firstName: 'X' } });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'MERGE_POLICY' });
    const names = await app.sql<{ first_name: string }>(`select first_name from customers where id = any(?::uuid[])`, [`{${[a, b].map((c) => Buffer.from(c.id, 'base64url').toString().split(':')[1]).join(',')}}`]);
    expect(names.map((n) => n.first_name)).toEqual(['Test', 'Test']);
  });

  it('reads a customer by id, and by the Relay node field', async () => {
    const c = await makeCustomer(app, { address: { line1: '1 Main St', city: 'Dublin', postalCode: 'D01', country: 'ie' } });
    const res = await app.gql(CustomerByIdDocument, { id: c.id });
    expect(res.data!.customer).toMatchObject({ id: c.id, status: 'ACTIVE', address: { line1: '1 Main St', city: 'Dublin', country: 'IE' } });
    const node = await app.gql(NodeByIdDocument, { id: c.id });
    expect(node.data!.node).toMatchObject({ __typename: 'Customer', id: c.id, email: c.email });
    const missing = await app.gql(CustomerByIdDocument, { id: Buffer.from('Customer:00000000-0000-4000-8000-000000000000').toString('base64url') });
    expect(missing.data!.customer).toBeNull();
  });
});

describe('activity', () => {
  it('records an order with integer totals, and it appears on the customer with its lines', async () => {
    const c = await makeCustomer(app);
    const p1 = await makeProduct(app, { priceMinor: 1999 });
    const p2 = await makeProduct(app, { priceMinor: 350 });
    const res = await app.gql(RecordOrderDocument, {
      input: {
        customerId: c.id, externalId: 'A-1', source: 'shop', placedAt: '2026-05-01T10:00:00.000Z', channel: 'WEB', currency: 'EUR', discountMinor: 100,
        lines: [{ productId: p1.id, quantity: 2 }, { sku: p2.sku, quantity: 3, unitPriceMinor: 300 }],
      },
    });
    expect(res.errors).toBeUndefined();
    const order = res.data!.recordOrder.order;
    expect(res.data!.recordOrder.created).toBe(true);
    expect(order.subtotal.amountMinor).toBe(2 * 1999 + 3 * 300);
    expect(order.total).toEqual({ amountMinor: 2 * 1999 + 900 - 100, amount: '47.98', currency: 'EUR' });
    expect(order.lines.map((l) => [l.product.sku, l.quantity, l.unitPrice.amountMinor, l.lineTotal.amountMinor])).toEqual([
      [p1.sku, 2, 1999, 3998],
      [p2.sku, 3, 300, 900],
    ]);

    // Sending the same order again (a retry) records nothing new.
    const retry = await app.gql(RecordOrderDocument, {
      input: {
        customerId: c.id, externalId: 'A-1', source: 'shop', placedAt: '2026-05-01T10:00:00.000Z', channel: 'WEB', currency: 'EUR', discountMinor: 100,
        lines: [{ productId: p1.id, quantity: 2 }, { sku: p2.sku, quantity: 3, unitPriceMinor: 300 }],
      },
    });
    expect(retry.data!.recordOrder).toMatchObject({ created: false, order: { id: order.id } });
    const changed = await app.gql(RecordOrderDocument, {
      input: { customerId: c.id, externalId: 'A-1', source: 'shop', placedAt: '2026-05-01T10:00:00.000Z', channel: 'WEB', currency: 'EUR', lines: [{ productId: p1.id, quantity: 1 }] },
    });
    expect(changed.errors?.[0].extensions?.code).toBe('CONFLICT');
    const orders = await app.sql<{ n: string }>(`select count(*) n from orders where external_id = 'A-1'`);
    expect(Number(orders[0].n)).toBe(1);
  });

  it('records interactions idempotently by sourceEventId and pages them newest first with filters', async () => {
    const c = await makeCustomer(app);
    const base = Date.parse('2026-06-01T00:00:00Z');
    for (let i = 0; i < 7; i++) {
      const res = await app.gql(RecordInteractionDocument, {
        input: { customerId: c.id, occurredAt: new Date(base + i * 60_000).toISOString(), channel: i % 2 ? 'EMAIL' : 'WEB', type: i % 2 ? 'EMAIL_OPEN' : 'PAGE_VIEW', sourceEventId: `evt-${c.id}-${i}`, properties: { i } },
      });
      expect(res.errors).toBeUndefined();
      expect(res.data!.recordInteraction.duplicate).toBe(false);
    }
    const replay = await app.gql(RecordInteractionDocument, {
      input: { customerId: c.id, occurredAt: new Date(base).toISOString(), channel: 'WEB', type: 'PAGE_VIEW', sourceEventId: `evt-${c.id}-0`, properties: { i: 0 } },
    });
    expect(replay.data!.recordInteraction.duplicate).toBe(true);
    const clash = await app.gql(RecordInteractionDocument, {
      input: { customerId: c.id, occurredAt: new Date(base).toISOString(), channel: 'WEB', type: 'SEARCH', sourceEventId: `evt-${c.id}-0` },
    });
    expect(clash.errors?.[0].extensions?.code).toBe('CONFLICT');

    // Walk all pages of 3: every event exactly once, newest first.
    const seen: number[] = [];
    let after: string | null | undefined = null;
    do {
      const page: GraphQLResponse<CustomerInteractionsQuery> = await app.gql(CustomerInteractionsDocument, { id: c.id, first: 3, after });
      const conn = page.data!.customer!.interactions;
      expect(conn.totalCount).toBe(7);
      seen.push(...conn.nodes.map((n) => (n.properties as { i: number }).i));
      after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);

    const emails = await app.gql(CustomerInteractionsDocument, { id: c.id, first: 10, filter: { channels: ['EMAIL'], since: new Date(base + 2 * 60_000).toISOString() } });
    expect(emails.data!.customer!.interactions.nodes.map((n) => (n.properties as { i: number }).i)).toEqual([5, 3]);
    expect(emails.data!.customer!.interactions.totalCount).toBe(2);
  });

  it('records feedback and keeps the consent ledger append-only with the latest decision current', async () => {
    const c = await makeCustomer(app);
    const fb = await app.gql(RecordFeedbackDocument, { input: { customerId: c.id, kind: 'NPS', score: 9, text: 'Lovely service' } });
    expect(fb.data!.recordFeedback).toMatchObject({ kind: 'NPS', score: 9, status: 'OPEN' });

    for (const status of ['GRANTED', 'WITHDRAWN', 'GRANTED', 'WITHDRAWN'] as const) {
      const r = await app.gql(SetConsentDocument, { input: { customerId: c.id, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status, source: 'preference_centre', policyVersion: 'v2' } });
      expect(r.errors).toBeUndefined();
    }
    await app.gql(SetConsentDocument, { input: { customerId: c.id, purpose: 'PROFILING', status: 'GRANTED', source: 'signup', policyVersion: 'v2' } });
    const consents = await app.gql(CustomerConsentsDocument, { id: c.id });
    const current = consents.data!.customer!.consents.current.map((r) => [r.purpose, r.channel, r.status]);
    expect(current).toEqual(expect.arrayContaining([['EMAIL_MARKETING', 'EMAIL', 'WITHDRAWN'], ['PROFILING', 'ANY', 'GRANTED']]));
    expect(current).toHaveLength(2);
    expect(consents.data!.customer!.consents.history.totalCount).toBe(5);
    expect(consents.data!.customer!.consents.history.nodes.map((n) => n.status)).toEqual(['GRANTED', 'WITHDRAWN', 'GRANTED', 'WITHDRAWN', 'GRANTED']);

    // The database itself refuses to rewrite the ledger.
    await expect(app.sql(`update consent_records set status = 'granted'`)).rejects.toThrow(/append-only/);
    await expect(app.sql(`delete from consent_records`)).rejects.toThrow(/append-only/);
  });
});

describe('customers connection', () => {
  it('pages with stable cursors, never repeating or skipping a customer', async () => {
    for (let i = 0; i < 12; i++) await makeCustomer(app, { lastName: `Pager${i}` });
    const all = await app.sql<{ n: string }>(`select count(*) n from customers where status = 'active'`);
    const ids: string[] = [];
    let after: string | null | undefined = null;
    do {
      const page: GraphQLResponse<CustomersPageQuery> = await app.gql(CustomersPageDocument, { first: 5, after, orderBy: { field: 'CREATED_AT', direction: 'ASC' } });
      expect(page.errors).toBeUndefined();
      ids.push(...page.data!.customers.edges.map((e) => e.node.id));
      after = page.data!.customers.pageInfo.hasNextPage ? page.data!.customers.pageInfo.endCursor : null;
    } while (after);
    expect(ids).toHaveLength(Number(all[0].n));
    expect(new Set(ids).size).toBe(ids.length);

    const search = await app.gql(CustomersPageDocument, { first: 50, filter: { search: 'pager1' } });
    expect(search.data!.customers.edges.map((e) => e.node.id)).toHaveLength(3); // Pager1, Pager10, Pager11
    expect(search.data!.customers.totalCount).toBe(3);
  });

  it('pages through customers sharing one sort key in both directions: every customer once, ties in id order of the direction', async () => {
    const tag = `Tied${Date.now().toString(36)}`;
    const made = [];
    for (let i = 0; i < 7; i++) made.push(await makeCustomer(app, { lastName: `${tag}${i}` }));
    const uuids = made.map((c) => fromGlobalId(c.id)!.id);
    await app.sql(`update customers set created_at = '2026-01-01T00:00:00Z' where id = any(?::uuid[])`, [`{${uuids.join(',')}}`]);
    const byId = [...made].sort((a, b) => (fromGlobalId(a.id)!.id < fromGlobalId(b.id)!.id ? -1 : 1)).map((c) => c.id);
    for (const direction of ['ASC', 'DESC'] as const) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const page: GraphQLResponse<CustomersPageQuery> = await app.gql(CustomersPageDocument, { first: 2, after, filter: { search: tag }, orderBy: { field: 'CREATED_AT', direction } });
        expect(page.errors).toBeUndefined();
        seen.push(...page.data!.customers.edges.map((e) => e.node.id));
        if (!page.data!.customers.pageInfo.hasNextPage) break;
        after = page.data!.customers.pageInfo.endCursor!;
      }
      expect({ direction, seen }).toEqual({ direction, seen: direction === 'ASC' ? byId : [...byId].reverse() });
    }
  });

  it('rejects a page size over the cap and a forged cursor with BAD_USER_INPUT', async () => {
    const big = await app.gql(CustomersPageDocument, { first: 10_000 });
    expect(big.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const forged = await app.gql(CustomersPageDocument, { first: 5, after: 'not-a-cursor' });
    expect(forged.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
