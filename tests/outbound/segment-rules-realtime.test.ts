import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, makeProduct, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import type { EntityManager } from '@mikro-orm/postgresql';
import { evaluateSegment } from '../../src/analytics/segments.service';

/**
 * Segment rules on traits, preferences and product activity, and real-time membership: through the
 * real HTTP server, a write makes its customer enter or leave the segments that depend on what it
 * changed before the mutation returns, with history rows and segment.entered / segment.exited in the
 * outbox; PROFILING objectors are out of model-based segments and orderings.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const CREATE = `mutation($name: String!, $rule: SegmentRuleInput!) { createSegment(input: { name: $name, rule: $rule }) { id rule memberCount } }`;
const UPDATE = `mutation($id: ID!, $rule: SegmentRuleInput!) { updateSegment(input: { id: $id, rule: $rule }) { id rule } }`;
const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`;
const SET_CONSENT = `mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`;
const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
let n = 0;
const name = (s: string) => `${s}-${++n}-${Date.now()}`;

async function segment(rule: unknown, role: Role = Role.ADMIN) {
  return (await ok(app.gql(CREATE, { name: name('seg'), rule }, { role }))).createSegment as { id: string; rule: Record<string, unknown>; memberCount: number };
}

/** Open stays of a customer in the given segments, from the membership history. */
async function isMember(segmentId: string, customerId: string): Promise<boolean> {
  const rows = await app.sql('select 1 from segment_memberships where segment_id::text = ? and customer_id::text = ? and left_at is null', [dbId(segmentId), dbId(customerId)]);
  return rows.length === 1;
}

async function stays(segmentId: string, customerId: string) {
  return app.sql<{ entered_at: Date; left_at: Date | null }>(
    'select entered_at, left_at from segment_memberships where segment_id::text = ? and customer_id::text = ? order by entered_at, left_at nulls last', [dbId(segmentId), dbId(customerId)]);
}

const lastEvent = async () => Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
async function segmentEvents(since: number, customerId: string) {
  return (await app.sql<{ type: string; subject_id: string }>(
    `select type, subject_id::text from outbox_events where id > ? and customer_id::text = ? and type like 'segment.%' order by id`, [since, dbId(customerId)],
  )).map((e) => `${e.type}:${e.subject_id}`);
}

async function order(customerId: string, sku: string, placedAt = new Date()) {
  return ok(app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`, {
    input: { customerId, channel: 'WEB', currency: 'EUR', placedAt: placedAt.toISOString(), lines: [{ sku, quantity: 1 }] },
  }));
}
async function view(customerId: string, productId: string) {
  return ok(app.gql(`mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { interaction { id } } }`, {
    input: { customerId, channel: 'WEB', type: 'PRODUCT_VIEW', productId },
  }));
}
const consent = (customerId: string, purpose: string, status: string) =>
  ok(app.gql(SET_CONSENT, { input: { customerId, purpose, channel: 'ANY', status, source: 'test', policyVersion: 'v1' } }));

describe('rules', () => {
  it('returns every kind of condition in a form updateSegment takes back unchanged', async () => {
    const rule = {
      all: [
        { trait: { key: 'vip', op: 'EQ', boolean: true } },
        { trait: { key: 'visits', op: 'GTE', number: 3 } },
        { trait: { key: 'renewal', op: 'LT', date: '2030-01-01T00:00:00.000Z' } },
        { trait: { key: 'plan', op: 'IN', texts: ['gold', 'silver'] } },
        { trait: { key: 'nickname', op: 'CONTAINS', text: 'ann' } },
        { trait: { key: 'referrer', op: 'EXISTS' } },
        { any: [
          { prefers: { kind: 'CATEGORY', value: 'books', source: 'STATED' } },
          { prefers: { kind: 'BRAND', value: 'Penguin', source: 'INFERRED' } },
          { prefers: { kind: 'CHANNEL', value: 'email', source: 'ANY' } },
        ] },
        { viewed: { sku: 'SKU-1', withinDays: 7, minCount: 2 } },
        { bought: { category: 'garden', withinDays: 30, minOrders: 1 } },
        { interacted: { channel: 'EMAIL', type: 'EMAIL_CLICK', withinDays: 14, minCount: 1 } },
        { not: { metric: { field: 'CHURN_RISK', op: 'GTE', value: 0.8 } } },
        { lifecycleStageIn: ['ACTIVE', 'AT_RISK'] },
        { valueTierIn: ['MOST_VALUABLE'] },
        { rfmSegmentIn: ['Champions'] },
        { consent: { purpose: 'EMAIL_MARKETING', channel: 'ANY', status: 'GRANTED' } },
        { country: ['DE'] },
      ],
    };
    const created = await segment(rule);
    const back = (await ok(app.gql(UPDATE, { id: created.id, rule: created.rule }))).updateSegment;
    expect(back.rule).toEqual(created.rule);
    expect((back.rule.all as unknown[]).length).toBe(rule.all.length);
    // What the rule reads decides which writes re-evaluate it.
    const [row] = await app.sql<{ depends_on: string[] }>('select depends_on from segments where id::text = ?', [dbId(created.id)]);
    expect(row.depends_on).toEqual(['consent', 'interactions', 'metrics', 'orders', 'preferences', 'profile']);
  });

  it.each([
    [{ all: [{ country: ['DE'] }, { trait: { key: 'visits', op: 'CONTAINS', number: 3 } }] }, 'rule.all[1].trait.op'],
    [{ trait: { key: 'visits', op: 'GT', number: 3, text: 'x' } }, 'rule.trait'],
    [{ trait: { key: 'since', op: 'GT', date: '2024-01-01T00:00:00Z' } }, null],
    [{ any: [{ prefers: { kind: 'CHANNEL', value: 'email', source: 'INFERRED' } }] }, 'rule.any[0].prefers.source'],
    [{ prefers: { kind: 'CHANNEL', value: 'pigeon' } }, 'rule.prefers.value'],
    [{ not: { viewed: { category: 'books', withinDays: 0 } } }, 'rule.not.viewed.withinDays'],
    [{ bought: { sku: ' ', withinDays: 5 } }, 'rule.bought.sku'],
    [{ all: [] }, 'rule.all'],
  ])('validates %j (bad path %s)', async (rule, path) => {
    const before = await app.sql<{ n: string }>('select count(*) as n from segments');
    const res = await app.gql(CREATE, { name: name('bad'), rule });
    if (path === null) {
      expect(res.errors).toBeUndefined();
      return;
    }
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].extensions?.field).toBe(path);
    expect(res.errors?.[0].message).toContain(path);
    expect(await app.sql<{ n: string }>('select count(*) as n from segments')).toEqual(before);
  });

  it('customers(filter: { segmentId }) takes the global id and the raw UUID, and refuses anything else', async () => {
    const c = await makeCustomer(app, { traits: { club: 'segment-id-probe' } });
    const s = await segment({ trait: { key: 'club', op: 'EQ', text: 'segment-id-probe' } });
    const q = `query($id: ID!) { customers(filter: { segmentId: $id }) { nodes { id } } }`;
    for (const id of [s.id, dbId(s.id), dbId(s.id).toUpperCase()]) {
      const res = await app.gql(q, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data.customers.nodes.map((x: { id: string }) => x.id)).toEqual([c.id]);
    }
    const bad = await app.gql(q, { id: c.id });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('compares traits by type: a trait of another JSON type never matches', async () => {
    const num = await makeCustomer(app, { traits: { score: 12, joined: '2024-03-01', member: true } });
    const str = await makeCustomer(app, { traits: { score: '12', joined: 'not a date', member: 'true' } });
    const high = await segment({ trait: { key: 'score', op: 'GT', number: 10 } });
    const joined = await segment({ trait: { key: 'joined', op: 'LT', date: '2024-06-01T00:00:00Z' } });
    const member = await segment({ trait: { key: 'member', op: 'EQ', boolean: true } });
    const text = await segment({ trait: { key: 'score', op: 'EQ', text: '12' } });
    for (const s of [high, joined, member]) {
      expect(await isMember(s.id, num.id)).toBe(true);
      expect(await isMember(s.id, str.id)).toBe(false);
    }
    expect(await isMember(text.id, str.id)).toBe(true);
    expect(await isMember(text.id, num.id)).toBe(false);
  });
});

describe('real-time membership', () => {
  it('a profile write moves its customer in and out before the mutation returns, with history and outbox events', async () => {
    const c = await makeCustomer(app);
    const other = await makeCustomer(app, { traits: { tier: 'gold' } });
    const s = await segment({ all: [{ trait: { key: 'tier', op: 'IN', texts: ['gold', 'platinum'] } }, { not: { country: ['FR'] } }] });
    expect(await isMember(s.id, other.id)).toBe(true);
    expect(await isMember(s.id, c.id)).toBe(false);

    const t0 = await lastEvent();
    await ok(app.gql(UPSERT, { input: { id: c.id, traits: { tier: 'platinum' } } }));
    expect(await isMember(s.id, c.id)).toBe(true);
    await ok(app.gql(UPSERT, { input: { id: c.id, address: { line1: '1 Rue X', city: 'Paris', postalCode: '75001', country: 'FR' } } }));
    expect(await isMember(s.id, c.id)).toBe(false);
    await ok(app.gql(UPSERT, { input: { id: c.id, address: { line1: '1 Hauptstr.', city: 'Berlin', postalCode: '10115', country: 'DE' } } }));
    expect(await isMember(s.id, c.id)).toBe(true);

    const history = await stays(s.id, c.id);
    expect(history).toHaveLength(2);
    expect(history[0].left_at).not.toBeNull();
    expect(history[1].left_at).toBeNull();
    expect(new Date(history[1].entered_at).getTime()).toBeGreaterThanOrEqual(new Date(history[0].left_at!).getTime());
    const sid = dbId(s.id);
    expect(await segmentEvents(t0, c.id)).toEqual([`segment.entered:${sid}`, `segment.exited:${sid}`, `segment.entered:${sid}`]);
    // The other member was not touched: one stay, no events.
    expect(await stays(s.id, other.id)).toHaveLength(1);
    expect(await segmentEvents(t0, other.id)).toEqual([]);
    const [{ segment: g }] = [await ok(app.gql(`query($id: ID!) { segment(id: $id) { memberCount } }`, { id: s.id }))];
    expect(g.memberCount).toBe(2);
  });

  it('an order enters "bought category within N days" and a product view enters "viewed sku"', async () => {
    const garden = await makeProduct(app, { category: 'Garden' });
    const c = await makeCustomer(app);
    const bought = await segment({ bought: { category: 'garden', withinDays: 30 } });
    const viewed = await segment({ viewed: { sku: garden.sku, withinDays: 7, minCount: 2 } });
    const old = await makeCustomer(app);
    await order(old.id, garden.sku, new Date(Date.now() - 40 * 86_400_000));
    expect(await isMember(bought.id, old.id)).toBe(false);

    const t0 = await lastEvent();
    await order(c.id, garden.sku);
    expect(await isMember(bought.id, c.id)).toBe(true);
    await view(c.id, garden.id);
    expect(await isMember(viewed.id, c.id)).toBe(false);
    await view(c.id, garden.id);
    expect(await isMember(viewed.id, c.id)).toBe(true);
    expect(await segmentEvents(t0, c.id)).toEqual([`segment.entered:${dbId(bought.id)}`, `segment.entered:${dbId(viewed.id)}`]);
    // The order came first in the outbox, then the entry it caused.
    const types = (await app.sql<{ type: string }>('select type from outbox_events where id > ? and customer_id::text = ? order by id', [t0, dbId(c.id)])).map((e) => e.type);
    expect(types.indexOf('order.recorded')).toBeLessThan(types.indexOf('segment.entered'));
  });

  it('stated preferences enter and leave at once; inferred ones need PERSONALIZATION consent', async () => {
    const c = await makeCustomer(app);
    const stated = await segment({ prefers: { kind: 'CATEGORY', value: 'Poetry' } });
    const SET = `mutation($id: ID!, $input: SetPreferencesInput!) { setPreferences(customerId: $id, input: $input) { __typename } }`;
    await ok(app.gql(SET, { id: c.id, input: { categories: ['poetry'] } }));
    expect(await isMember(stated.id, c.id)).toBe(true);
    await ok(app.gql(SET, { id: c.id, input: { categories: [] } }));
    expect(await isMember(stated.id, c.id)).toBe(false);

    const p = await makeProduct(app, { category: 'maps' });
    const inferred = await segment({ prefers: { kind: 'CATEGORY', value: 'maps', source: 'INFERRED' } });
    await view(c.id, p.id);
    expect(await isMember(inferred.id, c.id)).toBe(false);
    await consent(c.id, 'PERSONALIZATION', 'GRANTED');
    expect(await isMember(inferred.id, c.id)).toBe(true);
    await consent(c.id, 'PROFILING', 'DENIED');
    expect(await isMember(inferred.id, c.id)).toBe(false);
  });

  it('a PROFILING objection takes the customer out of model-based segments only, before setConsent returns', async () => {
    const c = await makeCustomer(app, { traits: { probe: 'profiling' } });
    await ok(app.gql(`mutation { recomputeAnalytics { customers } }`));
    const prospects = await segment({ all: [{ lifecycleStageIn: ['PROSPECT'] }, { trait: { key: 'probe', op: 'EQ', text: 'profiling' } }] });
    const descriptive = await segment({ all: [{ rfmSegmentIn: ['Prospect'] }, { trait: { key: 'probe', op: 'EQ', text: 'profiling' } }] });
    expect(await isMember(prospects.id, c.id)).toBe(true);
    expect(await isMember(descriptive.id, c.id)).toBe(true);
    const t0 = await lastEvent();
    await consent(c.id, 'PROFILING', 'WITHDRAWN');
    expect(await isMember(prospects.id, c.id)).toBe(false);
    expect(await isMember(descriptive.id, c.id)).toBe(true);
    await consent(c.id, 'PROFILING', 'GRANTED');
    expect(await isMember(prospects.id, c.id)).toBe(true);
    expect(await segmentEvents(t0, c.id)).toEqual([`segment.exited:${dbId(prospects.id)}`, `segment.entered:${dbId(prospects.id)}`]);
  });

  it('a merge takes the loser out of every segment and brings the survivor in with what moved; erasure takes the customer out', async () => {
    const book = await makeProduct(app, { category: 'atlases' });
    const survivor = await makeCustomer(app);
    const loser = await makeCustomer(app);
    const s = await segment({ bought: { category: 'atlases', withinDays: 30 } });
    await order(loser.id, book.sku);
    expect(await isMember(s.id, loser.id)).toBe(true);
    expect(await isMember(s.id, survivor.id)).toBe(false);
    await ok(app.gql(`mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { __typename } }`, {
      input: { survivorId: survivor.id, loserId: loser.id, reason: 'same person' },
    }));
    expect(await isMember(s.id, loser.id)).toBe(false);
    expect(await isMember(s.id, survivor.id)).toBe(true);

    const t0 = await lastEvent();
    await ok(app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { __typename } }`, { id: survivor.id }));
    expect(await isMember(s.id, survivor.id)).toBe(false);
    expect(await segmentEvents(t0, survivor.id)).toEqual([`segment.exited:${dbId(s.id)}`]);
  });

  it('feedback changes nothing no rule reads: no stays, no segment events', async () => {
    const c = await makeCustomer(app, { traits: { fb: 'yes' } });
    const s = await segment({ trait: { key: 'fb', op: 'EQ', text: 'yes' } });
    const t0 = await lastEvent();
    await ok(app.gql(`mutation($input: RecordFeedbackInput!) { recordFeedback(input: $input) { id } }`, {
      input: { customerId: c.id, kind: 'COMPLAINT', channel: 'EMAIL', text: 'late delivery' },
    }));
    expect(await segmentEvents(t0, c.id)).toEqual([]);
    expect(await stays(s.id, c.id)).toHaveLength(1);
  });

  it('marketing may build segments with the new conditions; analysts may not', async () => {
    const rule = { prefers: { kind: 'BRAND', value: 'Acme' } };
    const made = await segment(rule, Role.MARKETING);
    expect(Buffer.from(made.id, 'base64url').toString()).toMatch(/^Segment:[0-9a-f-]{36}$/);
    expect(made.rule).toEqual({ prefers: { kind: 'BRAND', source: 'STATED', value: 'Acme' } });
    // Stored as made, by the marketing user (the database keeps the enums in lower case).
    expect(await app.sql('select rule, created_by from segments where id::text = ?', [dbId(made.id)])).toEqual([{ rule: { prefers: { kind: 'brand', source: 'stated', value: 'Acme' } }, created_by: 'test-marketing' }]);
    const res = await app.gql(CREATE, { name: name('analyst'), rule }, { role: Role.ANALYST });
    expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('PROFILING objection on the customer list', () => {
  it('sorting by churn risk or CLV puts objectors with the unscored, and withholds tier and stage', async () => {
    const [a, b, objector] = [await makeCustomer(app, { traits: { sortProbe: 1 } }), await makeCustomer(app, { traits: { sortProbe: 1 } }), await makeCustomer(app, { traits: { sortProbe: 1 } })];
    await ok(app.gql(`mutation { recomputeAnalytics { customers } }`));
    // Scores as a run would leave them (the objector's the highest): the order must not show it.
    for (const [c, churn, clv] of [[a, 0.3, 1000], [b, 0.2, 500], [objector, 0.9, 9000]] as const) {
      await app.sql("update customer_metrics set churn_risk = ?, clv12m_minor = ?, currency = 'EUR', value_tier = ?, lifecycle_stage = ? where customer_id::text = ?", [churn, clv, 'most_valuable', 'at_risk', dbId(c.id)]);
    }
    await consent(objector.id, 'PROFILING', 'DENIED');
    const s = await segment({ trait: { key: 'sortProbe', op: 'EQ', number: 1 } });
    const q = `query($id: ID!, $field: CustomerSortField!, $after: String) { customers(first: 2, after: $after, filter: { segmentId: $id }, orderBy: { field: $field, direction: DESC }) {
      nodes { id value { churnRisk clv12m { amountMinor } valueTier lifecycleStage modelScoresAvailable } } pageInfo { endCursor } } }`;
    for (const field of ['CHURN_RISK', 'CLV_12M']) {
      const p1 = (await ok(app.gql(q, { id: s.id, field }))).customers;
      const p2 = (await ok(app.gql(q, { id: s.id, field, after: p1.pageInfo.endCursor }))).customers;
      expect([...p1.nodes, ...p2.nodes].map((x: { id: string }) => x.id)).toEqual([a.id, b.id, objector.id]);
    }
    const { customers } = await ok(app.gql(q, { id: s.id, field: 'CHURN_RISK' }));
    expect(customers.nodes[0].value).toMatchObject({ valueTier: 'MOST_VALUABLE', lifecycleStage: 'AT_RISK', modelScoresAvailable: true });
    const { customer } = await ok(app.gql(`query($id: ID!) { customer(id: $id) { value { churnRisk valueTier lifecycleStage modelScoresAvailable } } }`, { id: objector.id }));
    expect(customer.value).toEqual({ churnRisk: null, valueTier: null, lifecycleStage: null, modelScoresAvailable: false });
  });

  it('counts memberCount for a list of segments in one statement, whatever its length', async () => {
    const res2 = await app.gql(`query { segments { id } }`);
    const res = await app.gql(`query { segments { id memberCount } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.segments.length).toBeGreaterThan(5);
    expect(res.extensions!.sqlStatements! - res2.extensions!.sqlStatements!).toBe(1);
  });
});

describe('agreement', () => {
  it('leaves nothing for a full evaluation to change: the per-customer path and the all-customers path agree', async () => {
    const segments = await app.sql<{ id: string; name: string }>('select id::text, name from segments order by name');
    expect(segments.length).toBeGreaterThan(15);
    const em = app.orm.em.fork() as EntityManager;
    const changed = await em.transactional(async (tem) => {
      const out: Array<{ name: string; entered: number; left: number }> = [];
      for (const s of segments) {
        const r = await evaluateSegment(tem as EntityManager, s.id, new Date());
        if (r.entered || r.left) out.push({ name: s.name, entered: r.entered, left: r.left });
      }
      return out;
    });
    expect(changed).toEqual([]);
  });
});
