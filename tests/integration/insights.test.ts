import { startTestApp, type TestApp } from '../helpers/test-server';
import { Role } from '../../src/auth/viewer';
import { toGlobalId } from '../../src/schema/global-id';

/**
 * Feedback and campaign aggregates over data inserted here, checked against figures worked out by
 * hand (in the comments), not against SQL of the implementation's shape.
 */
let app: TestApp;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const c: Record<string, string> = {};
const seg: Record<string, string> = {};
const prod: Record<string, string> = {};

// Two whole calendar months in the past (UTC): A (two months ago) and B (last month).
const now = new Date();
const monthA = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1));
const monthB = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const beforeA = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 15));
const inA = new Date(monthA.getTime() + 2 * DAY);
const inB = new Date(monthB.getTime() + 10 * DAY);
const ago = (days: number) => new Date(now.getTime() - days * DAY);

async function feedback(customer: string, kind: string, score: number | null, at: Date, extra: { product?: string; resolvedAfterHours?: number; status?: string } = {}) {
  const resolved = extra.resolvedAfterHours != null ? new Date(at.getTime() + extra.resolvedAfterHours * HOUR) : null;
  await app.sql(
    `insert into feedback (customer_id, kind, score, product_id, status, submitted_at, resolved_at) values (?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz)`,
    [c[customer], kind, score, extra.product ? prod[extra.product] : null, extra.status ?? (resolved ? 'resolved' : 'open'), at.toISOString(), resolved?.toISOString() ?? null],
  );
}

async function event(customer: string, campaign: string, type: string, at: Date) {
  const channel = type.startsWith('sms') ? 'sms' : type.startsWith('push') ? 'push' : 'email';
  await app.sql(`insert into interactions (customer_id, occurred_at, channel, type, campaign) values (?, ?::timestamptz, ?, ?, ?)`, [c[customer], at.toISOString(), channel, type, campaign]);
}

async function order(customer: string, at: Date, status: string) {
  await app.sql(
    `insert into orders (customer_id, placed_at, channel, status, currency, subtotal_minor, total_minor) values (?, ?::timestamptz, 'web', ?, 'EUR', 1000, 1000)`,
    [c[customer], at.toISOString(), status],
  );
}

beforeAll(async () => {
  app = await startTestApp();
  for (const name of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']) {
    c[name] = (await app.sql<{ id: string }>(`insert into customers (email) values (?) returning id`, [`${name}.insights@example.com`]))[0].id;
  }
  for (const [key, sku, name, category] of [['P1', 'SKU-A', 'Alpha', 'garden'], ['P2', 'SKU-B', 'Beta', 'books']]) {
    prod[key] = (await app.sql<{ id: string }>(`insert into products (sku, name, category, price_minor, currency) values (?, ?, ?, 100, 'EUR') returning id`, [sku, name, category]))[0].id;
  }
  // VIP: c1, c2, c3 now (c4 left it); Others: c4, c5. c6 is in no segment.
  for (const name of ['VIP', 'Others']) {
    seg[name] = (await app.sql<{ id: string }>(`insert into segments (name, rule, created_by) values (?, '{}', 'test') returning id`, [name]))[0].id;
  }
  const member = (s: string, who: string, left = false) =>
    app.sql(`insert into segment_memberships (segment_id, customer_id, entered_at, left_at) values (?, ?, now() - interval '30 days', ${left ? "now() - interval '1 day'" : 'null'})`, [seg[s], c[who]]);
  await member('VIP', 'c1');
  await member('VIP', 'c2');
  await member('VIP', 'c3');
  await member('VIP', 'c4', true);
  await member('Others', 'c4');
  await member('Others', 'c5');

  // Month A. NPS 10, 9, 8, 6, 0, 10; CSAT 5 (P1), 4 (P1), 2 (P2), 3; complaints resolved after 2 h (P2), 4 h, 10 h, 20 h, one open.
  await feedback('c1', 'nps', 10, inA);
  await feedback('c2', 'nps', 9, inA);
  await feedback('c3', 'nps', 8, inA);
  await feedback('c4', 'nps', 6, inA);
  await feedback('c5', 'nps', 0, inA);
  await feedback('c6', 'nps', 10, inA);
  await feedback('c1', 'csat', 5, inA, { product: 'P1' });
  await feedback('c2', 'csat', 4, inA, { product: 'P1' });
  await feedback('c4', 'csat', 2, inA, { product: 'P2' });
  await feedback('c5', 'csat', 3, inA);
  await feedback('c1', 'complaint', null, inA, { product: 'P2', resolvedAfterHours: 2 });
  await feedback('c2', 'complaint', null, inA, { resolvedAfterHours: 4 });
  await feedback('c3', 'complaint', null, inA, { resolvedAfterHours: 10 });
  await feedback('c4', 'complaint', null, inA, { resolvedAfterHours: 20 });
  await feedback('c5', 'complaint', null, inA, { status: 'acknowledged' });
  // Month B: NPS 7 and 8 (passives only). Before A: outside every window asked for below.
  await feedback('c1', 'nps', 7, inB);
  await feedback('c2', 'nps', 8, inB);
  await feedback('c1', 'nps', 0, beforeA);

  // spring: sends to c1..c4 by email and c5 by SMS; c1..c3 open; c1 clicks twice, c2 once.
  // c1 buys 3 days after the click (converts); c2 cancels an order a day after and buys 8 days after (does not).
  for (const who of ['c1', 'c2', 'c3', 'c4']) await event(who, 'spring', 'email_send', ago(20));
  await event('c5', 'spring', 'sms_send', ago(20));
  for (const who of ['c1', 'c2', 'c3']) await event(who, 'spring', 'email_open', ago(19.5));
  await event('c1', 'spring', 'email_click', ago(19));
  await event('c1', 'spring', 'email_click', ago(10));
  await event('c2', 'spring', 'email_click', ago(19));
  await order('c1', ago(16), 'delivered');
  await order('c2', ago(18), 'cancelled');
  await order('c2', ago(11), 'delivered');
  // autumn: c3 and c6 get it, c6 opens and clicks, and returns what it bought the next day.
  await event('c3', 'autumn', 'email_send', ago(15));
  await event('c6', 'autumn', 'email_send', ago(15));
  await event('c6', 'autumn', 'email_open', ago(14.5));
  await event('c6', 'autumn', 'email_click', ago(14));
  await order('c6', ago(13), 'returned');
  // noclick: one open, no send recorded. old: before the window.
  await event('c4', 'noclick', 'email_open', ago(5));
  await event('c1', 'old', 'email_send', ago(200));
}, 60_000);
afterAll(async () => {
  await app?.close();
});

const FEEDBACK = `query($period: InsightPeriod!, $since: DateTime!, $groupBy: FeedbackGroupBy, $segmentId: ID) {
  feedbackSummary(period: $period, since: $since, groupBy: $groupBy, segmentId: $segmentId) {
    periodStart groupKey groupLabel responses npsResponses promoters passives detractors nps
    csatResponses csatAverage csatSatisfiedPercent complaints complaintsResolved resolutionHoursMedian resolutionHoursP90 } }`;

const CAMPAIGNS = `query($since: DateTime!, $campaign: String, $segmentId: ID, $bySegment: Boolean) {
  campaignMetrics(since: $since, campaign: $campaign, segmentId: $segmentId, bySegment: $bySegment) {
    campaign segmentId segmentName sends opens clicks customersReached customersClicked conversions openRate clickRate clickToOpenRate conversionRate } }`;

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Compares a row with expected figures; floats to 6 decimals. */
function expectRow(row: Row, want: Row) {
  for (const [k, v] of Object.entries(want)) {
    if (typeof v === 'number' && !Number.isInteger(v)) expect([k, row[k]]).toEqual([k, expect.closeTo(v, 6)]);
    else expect([k, row[k]]).toEqual([k, v]);
  }
}

const EMPTY_B = { csatResponses: 0, csatAverage: null, csatSatisfiedPercent: null, complaints: 0, complaintsResolved: 0, resolutionHoursMedian: null, resolutionHoursP90: null };

describe('feedbackSummary', () => {
  it('computes NPS, CSAT and complaint resolution percentiles per month', async () => {
    const res = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString() }, { role: Role.ANALYST });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.feedbackSummary;
    expect(rows).toHaveLength(2);
    // A: 6 NPS + 4 CSAT + 5 complaints. NPS = 100 × (3 − 2) / 6. CSAT mean 14 / 4, 2 of 4 satisfied.
    // Resolution hours [2, 4, 10, 20]: median (4 + 10) / 2 = 7; p90 at rank 0.9 × 3 = 2.7: 10 + 0.7 × 10 = 17.
    expectRow(rows[0], {
      periodStart: monthA.toISOString(), groupKey: null, groupLabel: null, responses: 15, npsResponses: 6, promoters: 3, passives: 1, detractors: 2,
      nps: 100 / 6, csatResponses: 4, csatAverage: 3.5, csatSatisfiedPercent: 50, complaints: 5, complaintsResolved: 4, resolutionHoursMedian: 7, resolutionHoursP90: 17,
    });
    expectRow(rows[1], { periodStart: monthB.toISOString(), responses: 2, npsResponses: 2, promoters: 0, passives: 2, detractors: 0, nps: 0, ...EMPTY_B });
  });

  it('groups by segment over current members only', async () => {
    const res = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString(), groupBy: 'SEGMENT' }, { role: Role.MARKETING });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.feedbackSummary;
    expect(rows.map((r) => [r.periodStart, r.groupLabel])).toEqual([[monthA.toISOString(), 'Others'], [monthA.toISOString(), 'VIP'], [monthB.toISOString(), 'VIP']]);
    // Others (c4, c5): NPS 6, 0 → −100; CSAT 2, 3; complaints 20 h and one open.
    expectRow(rows[0], {
      groupKey: toGlobalId('Segment', seg.Others), responses: 6, promoters: 0, passives: 0, detractors: 2, nps: -100, csatAverage: 2.5, csatSatisfiedPercent: 0,
      complaints: 2, complaintsResolved: 1, resolutionHoursMedian: 20, resolutionHoursP90: 20,
    });
    // VIP (c1, c2, c3; not c4, who left): NPS 10, 9, 8 → 200/3; CSAT 5, 4; hours [2, 4, 10]: median 4, p90 at rank 1.8: 4 + 0.8 × 6 = 8.8.
    expectRow(rows[1], {
      groupKey: toGlobalId('Segment', seg.VIP), responses: 8, promoters: 2, passives: 1, detractors: 0, nps: 200 / 3, csatAverage: 4.5, csatSatisfiedPercent: 100,
      complaints: 3, complaintsResolved: 3, resolutionHoursMedian: 4, resolutionHoursP90: 8.8,
    });
    expectRow(rows[2], { responses: 2, nps: 0, ...EMPTY_B });
  });

  it('restricts to one segment', async () => {
    const res = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString(), segmentId: toGlobalId('Segment', seg.VIP) });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.feedbackSummary;
    expect(rows).toHaveLength(2);
    expectRow(rows[0], { groupKey: null, responses: 8, nps: 200 / 3, csatAverage: 4.5, complaints: 3, resolutionHoursMedian: 4, resolutionHoursP90: 8.8 });
    expectRow(rows[1], { responses: 2, nps: 0 });
  });

  it('groups by product and by category, feedback tied to no product last', async () => {
    const byProduct = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString(), groupBy: 'PRODUCT' });
    expect(byProduct.errors).toBeUndefined();
    const rows: Row[] = byProduct.data.feedbackSummary.filter((r: Row) => r.periodStart === monthA.toISOString());
    expect(rows.map((r) => [r.groupKey, r.groupLabel, r.responses])).toEqual([['SKU-A', 'Alpha', 2], ['SKU-B', 'Beta', 2], [null, null, 11]]);
    expectRow(rows[0], { csatAverage: 4.5, csatSatisfiedPercent: 100, complaints: 0, nps: null });
    expectRow(rows[1], { csatAverage: 2, csatSatisfiedPercent: 0, complaints: 1, complaintsResolved: 1, resolutionHoursMedian: 2, resolutionHoursP90: 2 });
    // No product: NPS all six; CSAT 3; complaints 4, 10, 20 and the open one.
    expectRow(rows[2], { npsResponses: 6, nps: 100 / 6, csatAverage: 3, complaints: 4, complaintsResolved: 3, resolutionHoursMedian: 10 });
    const byCategory = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString(), groupBy: 'CATEGORY' });
    const cats: Row[] = byCategory.data.feedbackSummary.filter((r: Row) => r.periodStart === monthA.toISOString());
    expect(cats.map((r) => [r.groupKey, r.responses])).toEqual([['books', 2], ['garden', 2], [null, 11]]);
  });

  it('buckets by ISO week (Monday, UTC) with the same totals', async () => {
    const res = await app.gql(FEEDBACK, { period: 'WEEK', since: monthA.toISOString() });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.feedbackSummary;
    for (const r of rows) {
      const start = new Date(r.periodStart);
      expect(start.getUTCDay()).toBe(1);
      expect(start.getUTCHours() + start.getUTCMinutes()).toBe(0);
    }
    const weekOf = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - ((d.getUTCDay() + 6) % 7))).toISOString();
    expect(rows.map((r) => r.periodStart)).toEqual([weekOf(inA), weekOf(inB)]);
    expect(rows.map((r) => r.responses)).toEqual([15, 2]);
  });

  it('refuses bad input', async () => {
    const future = await app.gql(FEEDBACK, { period: 'MONTH', since: new Date(Date.now() + DAY).toISOString() });
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'since' });
    const tooOld = await app.gql(FEEDBACK, { period: 'MONTH', since: new Date(Date.now() - 4 * 366 * DAY).toISOString() });
    expect(tooOld.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'since' });
    const notASegment = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString(), segmentId: toGlobalId('Customer', c.c1) });
    expect(notASegment.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const missing = await app.gql(FEEDBACK, { period: 'MONTH', since: monthA.toISOString(), segmentId: toGlobalId('Segment', '00000000-0000-4000-8000-000000000000') });
    expect(missing.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'segmentId' });
    expect(missing.data?.feedbackSummary ?? null).toBeNull();
  });
});

describe('campaignMetrics', () => {
  const since = () => ago(30).toISOString();

  it('counts sends, opens, clicks and 7-day conversions per campaign', async () => {
    const res = await app.gql(CAMPAIGNS, { since: since() }, { role: Role.MARKETING });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.campaignMetrics;
    expect(rows.map((r) => r.campaign)).toEqual(['autumn', 'noclick', 'spring']);
    // autumn: 2 sends, 1 open, 1 click; the click's order was returned: no conversion.
    expectRow(rows[0], { segmentId: null, sends: 2, opens: 1, clicks: 1, customersReached: 2, customersClicked: 1, conversions: 0, openRate: 0.5, clickRate: 0.5, clickToOpenRate: 1, conversionRate: 0 });
    // noclick: no sends: the rates over sends are null; click-to-open 0 / 1.
    expectRow(rows[1], { sends: 0, opens: 1, clicks: 0, customersReached: 1, customersClicked: 0, conversions: 0, openRate: null, clickRate: null, clickToOpenRate: 0, conversionRate: null });
    // spring: 5 sends (4 email + 1 SMS), 3 opens, 3 clicks by 2 customers; c1 converts (3 days), c2 does not (8 days; the 1-day order was cancelled).
    expectRow(rows[2], { sends: 5, opens: 3, clicks: 3, customersReached: 5, customersClicked: 2, conversions: 1, openRate: 0.6, clickRate: 0.6, clickToOpenRate: 1, conversionRate: 0.5 });
  });

  it('filters by campaign', async () => {
    const res = await app.gql(CAMPAIGNS, { since: since(), campaign: 'spring' }, { role: Role.ANALYST });
    expect(res.errors).toBeUndefined();
    expect(res.data.campaignMetrics.map((r: Row) => [r.campaign, r.sends])).toEqual([['spring', 5]]);
  });

  it("restricts to a segment's current members", async () => {
    const res = await app.gql(CAMPAIGNS, { since: since(), segmentId: toGlobalId('Segment', seg.VIP) });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.campaignMetrics;
    // VIP = c1, c2, c3 (c4 left): noclick (c4 only) disappears.
    expect(rows.map((r) => r.campaign)).toEqual(['autumn', 'spring']);
    expectRow(rows[0], { sends: 1, opens: 0, clicks: 0, customersReached: 1, openRate: 0, clickRate: 0, clickToOpenRate: null, conversionRate: null });
    expectRow(rows[1], { sends: 3, opens: 3, clicks: 3, customersReached: 3, customersClicked: 2, conversions: 1, openRate: 1, clickRate: 1, clickToOpenRate: 1, conversionRate: 0.5 });
  });

  it('breaks down by segment', async () => {
    const res = await app.gql(CAMPAIGNS, { since: since(), bySegment: true });
    expect(res.errors).toBeUndefined();
    const rows: Row[] = res.data.campaignMetrics;
    expect(rows.map((r) => [r.campaign, r.segmentName, r.sends, r.opens, r.clicks, r.conversions])).toEqual([
      ['autumn', 'VIP', 1, 0, 0, 0],
      ['noclick', 'Others', 0, 1, 0, 0],
      ['spring', 'Others', 2, 0, 0, 0],
      ['spring', 'VIP', 3, 3, 3, 1],
    ]);
    expect(rows[3].segmentId).toBe(toGlobalId('Segment', seg.VIP));
    const one = await app.gql(CAMPAIGNS, { since: since(), bySegment: true, segmentId: toGlobalId('Segment', seg.Others) });
    expect(one.data.campaignMetrics.map((r: Row) => [r.campaign, r.segmentName])).toEqual([['noclick', 'Others'], ['spring', 'Others']]);
  });

  it('refuses bad input', async () => {
    const future = await app.gql(CAMPAIGNS, { since: new Date(Date.now() + DAY).toISOString() });
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'since' });
    const bad = await app.gql(CAMPAIGNS, { since: since(), segmentId: 'nonsense' });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('access', () => {
  it.each([Role.SUPPORT, Role.CUSTOMER])('refuses %s', async (role) => {
    const opts = role === Role.CUSTOMER ? { role, customerId: toGlobalId('Customer', c.c1) } : { role };
    for (const [query, vars, field] of [[FEEDBACK, { period: 'MONTH', since: monthA.toISOString() }, 'feedbackSummary'], [CAMPAIGNS, { since: ago(30).toISOString() }, 'campaignMetrics']] as const) {
      const res = await app.gql(query, vars, opts);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'ROLE' });
      expect(res.data?.[field] ?? null).toBeNull();
    }
  });

  it('refuses anonymous callers', async () => {
    const res = await app.gql(CAMPAIGNS, { since: ago(30).toISOString() }, { role: null });
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('SQL statements do not grow with the rows returned', () => {
  it('campaigns: 3 vs 23', async () => {
    const small = await app.gql(CAMPAIGNS, { since: ago(30).toISOString() });
    for (let i = 0; i < 20; i++) await event(`c${(i % 6) + 1}`, `bulk-${String(i).padStart(2, '0')}`, 'email_send', ago(40 + i));
    const large = await app.gql(CAMPAIGNS, { since: ago(90).toISOString(), bySegment: false });
    expect(small.data.campaignMetrics).toHaveLength(3);
    expect(large.data.campaignMetrics).toHaveLength(23);
    expect(large.extensions!.sqlStatements).toBe(small.extensions!.sqlStatements);
    const smallSeg = await app.gql(CAMPAIGNS, { since: ago(30).toISOString(), bySegment: true, segmentId: toGlobalId('Segment', seg.VIP) });
    const largeSeg = await app.gql(CAMPAIGNS, { since: ago(90).toISOString(), bySegment: true, segmentId: toGlobalId('Segment', seg.VIP) });
    expect(largeSeg.data.campaignMetrics.length).toBeGreaterThan(smallSeg.data.campaignMetrics.length);
    expect(largeSeg.extensions!.sqlStatements).toBe(smallSeg.extensions!.sqlStatements);
  });

  it('feedback groups: 1 vs 21', async () => {
    const small = await app.gql(FEEDBACK, { period: 'MONTH', since: monthB.toISOString(), groupBy: 'PRODUCT' });
    for (let i = 0; i < 20; i++) {
      const [p] = await app.sql<{ id: string }>(`insert into products (sku, name, category, price_minor, currency) values (?, ?, 'bulk', 100, 'EUR') returning id`, [`BULK-${i}`, `Bulk ${i}`]);
      await app.sql(`insert into feedback (customer_id, kind, score, product_id, submitted_at) values (?, 'review', 4, ?, ?::timestamptz)`, [c.c1, p.id, inB.toISOString()]);
    }
    const large = await app.gql(FEEDBACK, { period: 'MONTH', since: monthB.toISOString(), groupBy: 'PRODUCT' });
    expect(small.data.feedbackSummary).toHaveLength(1);
    expect(large.data.feedbackSummary).toHaveLength(21);
    expect(large.extensions!.sqlStatements).toBe(small.extensions!.sqlStatements);
  });
});
