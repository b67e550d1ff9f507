import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';

/** Offers, campaigns, next-best offer and responses, on the served schema. */
let app: TestApp;
let segmentId: string;
let campaignId: string;
const START = '2026-01-01T00:00:00Z';

const consent = (c: string, purpose: string, channel: string, status = 'GRANTED') =>
  ok(app.gql(`mutation($i: SetConsentInput!) { setConsent(input: $i) { id } }`, { i: { customerId: c, purpose, channel, status, source: 'test', policyVersion: 'v1' } }));

async function createOffer(input: Record<string, unknown>): Promise<string> {
  const d = await ok(app.gql(`mutation($i: CreateOfferInput!) { createOffer(input: $i) { id } }`, {
    i: { name: 'Offer', valueMinor: 1000, currency: 'EUR', channels: ['WEB', 'EMAIL'], startsAt: START, status: 'ACTIVE', ...input },
  }));
  return d.createOffer.id;
}

const NBO = `query($id: ID!, $ch: OfferChannel!) { customer(id: $id) { nextBestOffers(channel: $ch, first: 10) { offer { id code } score pAccept reason expectedValue { amountMinor } } } }`;
async function nbo(customerId: string, channel: string): Promise<Array<{ offer: { id: string; code: string }; score: number; pAccept: number; reason: string }>> {
  return (await ok(app.gql(NBO, { id: customerId, ch: channel }))).customer.nextBestOffers;
}
const respond = (customerId: string, offerId: string, response: string, channel = 'WEB') =>
  app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate interaction { type campaign } } }`, { i: { customerId, offerId, channel, response } });

/** Every table, and the offer tables too. */
async function digest(): Promise<string> {
  const [r] = await app.sql<{ d: string }>(`select md5(coalesce((select string_agg(o::text, '|' order by o.id) from offers o), '') || coalesce((select string_agg(c::text, '|' order by c.id) from campaigns c), '')) d`);
  return `${await databaseDigest(app)}:${r.d}`;
}

beforeAll(async () => {
  app = await startTestApp();
  const seg = await ok(app.gql(`mutation { createSegment(input: { name: "In GB", rule: { country: ["GB"] } }) { id } }`));
  segmentId = seg.createSegment.id;
  const camp = await ok(app.gql(`mutation { createCampaign(input: { code: "spring-26", name: "Spring", channels: [WEB, EMAIL, SMS], startsAt: "${START}", status: ACTIVE }) { id code status } }`));
  campaignId = camp.createCampaign.id;
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('validation: a clear code and an unchanged database', () => {
  const cases: Array<[string, string, () => Record<string, unknown>, string]> = [
    ['createCampaign with a taken code', `mutation { createCampaign(input: { code: "spring-26", name: "x", channels: [EMAIL], startsAt: "${START}" }) { id } }`, () => ({}), 'CONFLICT'],
    ['createCampaign ending before it starts', `mutation { createCampaign(input: { code: "c2", name: "x", channels: [EMAIL], startsAt: "${START}", endsAt: "2025-01-01T00:00:00Z" }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['createCampaign without channels', `mutation { createCampaign(input: { code: "c3", name: "x", channels: [], startsAt: "${START}" }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['createCampaign with a bad code', `mutation { createCampaign(input: { code: "has space", name: "x", channels: [EMAIL], startsAt: "${START}" }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['updateCampaign of a missing campaign', 'mutation { updateCampaign(input: { id: "Q2FtcGFpZ246MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw", name: "y" }) { id } }', () => ({}), 'NOT_FOUND'],
    ['updateCampaign with endsAt before startsAt', 'mutation($id: ID!) { updateCampaign(input: { id: $id, endsAt: "2025-06-01T00:00:00Z" }) { id } }', () => ({ id: campaignId }), 'BAD_USER_INPUT'],
    ['createOffer with a lower-case currency', `mutation { createOffer(input: { code: "o1", name: "x", valueMinor: 100, currency: "eur", channels: [EMAIL], startsAt: "${START}" }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['createOffer with a negative value', `mutation { createOffer(input: { code: "o1", name: "x", valueMinor: -1, currency: "EUR", channels: [EMAIL], startsAt: "${START}" }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['createOffer with an unknown segment', `mutation { createOffer(input: { code: "o1", name: "x", valueMinor: 1, currency: "EUR", channels: [EMAIL], startsAt: "${START}", targetSegmentIds: ["U2VnbWVudDowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA"] }) { id } }`, () => ({}), 'NOT_FOUND'],
    ['createOffer on a channel its campaign lacks', `mutation($c: ID!) { createOffer(input: { code: "o1", name: "x", valueMinor: 1, currency: "EUR", channels: [PUSH], campaignId: $c, startsAt: "${START}" }) { id } }`, () => ({ c: campaignId }), 'BAD_USER_INPUT'],
    ['createOffer with discountPercent 150', `mutation { createOffer(input: { code: "o1", name: "x", valueMinor: 1, currency: "EUR", channels: [EMAIL], startsAt: "${START}", discountPercent: 150 }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['createOffer with maxAcceptancesPerCustomer 0', `mutation { createOffer(input: { code: "o1", name: "x", valueMinor: 1, currency: "EUR", channels: [EMAIL], startsAt: "${START}", maxAcceptancesPerCustomer: 0 }) { id } }`, () => ({}), 'BAD_USER_INPUT'],
    ['createOffer with an unknown channel', `mutation { createOffer(input: { code: "o1", name: "x", valueMinor: 1, currency: "EUR", channels: [FAX], startsAt: "${START}" }) { id } }`, () => ({}), 'GRAPHQL_VALIDATION_FAILED'],
    ['updateOffer of a missing offer', 'mutation { updateOffer(input: { id: "T2ZmZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw", name: "y" }) { id } }', () => ({}), 'NOT_FOUND'],
    ['recordOfferResponse for a missing offer', 'mutation($c: ID!) { recordOfferResponse(input: { customerId: $c, offerId: "T2ZmZXI6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAw", channel: WEB, response: SHOWN }) { duplicate } }', () => ({ c: sharedCustomer }), 'NOT_FOUND'],
    ['recordOfferResponse with a key but no time', 'mutation($c: ID!, $o: ID!) { recordOfferResponse(input: { customerId: $c, offerId: $o, channel: WEB, response: SHOWN, idempotencyKey: "k1" }) { duplicate } }', () => ({ c: sharedCustomer, o: sharedOffer }), 'BAD_USER_INPUT'],
    ['recordOfferResponse on a channel the offer lacks', 'mutation($c: ID!, $o: ID!) { recordOfferResponse(input: { customerId: $c, offerId: $o, channel: SMS, response: SHOWN }) { duplicate } }', () => ({ c: sharedCustomer, o: sharedOffer }), 'BAD_USER_INPUT'],
    ['recordOfferResponse for a draft offer', 'mutation($c: ID!, $o: ID!) { recordOfferResponse(input: { customerId: $c, offerId: $o, channel: WEB, response: ACCEPTED }) { duplicate } }', () => ({ c: sharedCustomer, o: draftOffer }), 'BAD_USER_INPUT'],
  ];
  let sharedCustomer: string;
  let sharedOffer: string;
  let draftOffer: string;
  let taken: string;
  beforeAll(async () => {
    sharedCustomer = (await makeCustomer(app)).id;
    sharedOffer = await createOffer({ code: 'shared' });
    draftOffer = await createOffer({ code: 'draft-one', status: 'DRAFT' });
    taken = await createOffer({ code: 'taken' });
  });
  it.each(cases)('%s', async (_name, query, variables, code) => {
    const before = await digest();
    const res = await app.gql(query, variables());
    expect(res.errors?.[0].extensions?.code).toBe(code);
    expect(await digest()).toBe(before);
  });
  it('updateOffer to a taken code is a CONFLICT and changes nothing', async () => {
    const before = await digest();
    const res = await app.gql('mutation($id: ID!) { updateOffer(input: { id: $id, code: "taken" }) { id } }', { id: sharedOffer });
    expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await digest()).toBe(before);
    // The code stays with the offer that had it.
    expect((await ok<{ offer: { code: string } }>(app.gql('query($id: ID!) { offer(id: $id) { code } }', { id: taken }))).offer.code).toBe('taken');
  });
});

describe('eligibility', () => {
  it('never offers through a channel without its consent; withdrawing consent removes the offer', async () => {
    const c = (await makeCustomer(app)).id;
    const id = await createOffer({ code: 'consent-gated', channels: ['EMAIL', 'WEB'] });
    expect((await nbo(c, 'EMAIL')).map((o) => o.offer.id)).not.toContain(id);
    await consent(c, 'EMAIL_MARKETING', 'EMAIL');
    expect((await nbo(c, 'EMAIL')).map((o) => o.offer.id)).toContain(id);
    // Email consent is not personalisation consent: the web shop still gets nothing.
    expect((await nbo(c, 'WEB')).map((o) => o.offer.id)).not.toContain(id);
    await consent(c, 'EMAIL_MARKETING', 'EMAIL', 'WITHDRAWN');
    expect((await nbo(c, 'EMAIL')).map((o) => o.offer.id)).not.toContain(id);
  });

  it('follows target segment, validity window, channel and the offer’s own consent purpose', async () => {
    const gb = (await makeCustomer(app, { address: { line1: 'x', city: 'London', country: 'GB' } })).id;
    const fr = (await makeCustomer(app, { address: { line1: 'x', city: 'Paris', country: 'FR' } })).id;
    for (const c of [gb, fr]) await consent(c, 'PERSONALIZATION', 'ANY');
    await ok(app.gql(`mutation($id: ID!) { updateSegment(input: { id: $id, rule: { country: ["GB"] } }) { memberCount } }`, { id: segmentId }));
    const seg = await createOffer({ code: 'gb-only', targetSegmentIds: [segmentId] });
    const later = await createOffer({ code: 'not-yet', startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    const over = await createOffer({ code: 'over', startsAt: START, endsAt: '2026-02-01T00:00:00Z' });
    const smsOnly = await createOffer({ code: 'sms-only', channels: ['SMS'] });
    const profiling = await createOffer({ code: 'needs-profiling', consentPurpose: 'PROFILING' });
    const gbIds = (await nbo(gb, 'WEB')).map((o) => o.offer.id);
    const frIds = (await nbo(fr, 'WEB')).map((o) => o.offer.id);
    expect(gbIds).toContain(seg);
    expect(frIds).not.toContain(seg);
    for (const id of [later, over, smsOnly, profiling]) expect([...gbIds, ...frIds]).not.toContain(id);
    await consent(gb, 'PROFILING', 'ANY');
    expect((await nbo(gb, 'WEB')).map((o) => o.offer.id)).toContain(profiling);
    // Pausing takes it out at once.
    await ok(app.gql('mutation($id: ID!) { updateOffer(input: { id: $id, status: PAUSED }) { status } }', { id: seg }));
    expect((await nbo(gb, 'WEB')).map((o) => o.offer.id)).not.toContain(seg);
  });
});

describe('ranking from responses', () => {
  it('rejecting lowers the rank; accepting up to the maximum removes the offer; responses are interactions of the campaign', async () => {
    const c = (await makeCustomer(app)).id;
    await consent(c, 'PERSONALIZATION', 'WEB');
    const x = await createOffer({ code: 'rank-x', valueMinor: 1000, channels: ['WEB'], campaignId });
    const y = await createOffer({ code: 'rank-y', valueMinor: 900, channels: ['WEB'], campaignId, maxAcceptancesPerCustomer: 2 });
    const order = async () => (await nbo(c, 'WEB')).map((o) => o.offer.id).filter((id) => id === x || id === y);
    expect(await order()).toEqual([x, y]);
    const rej = await respond(c, x, 'REJECTED');
    expect(rej.errors).toBeUndefined();
    expect(rej.data.recordOfferResponse.interaction).toEqual({ type: 'OFFER_REJECTED', campaign: 'spring-26' });
    expect(await order()).toEqual([y, x]);
    const ranked = await nbo(c, 'WEB');
    expect(ranked.find((o) => o.offer.id === x)!.reason).toMatch(/rejected 1×/);
    expect((await respond(c, y, 'ACCEPTED')).errors).toBeUndefined();
    expect(await order()).toEqual([y, x]);
    expect((await respond(c, y, 'ACCEPTED')).errors).toBeUndefined();
    expect(await order()).toEqual([x]);
    const before = await digest();
    const third = await respond(c, y, 'ACCEPTED');
    expect(third.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(await digest()).toBe(before);
    const tl = await ok(app.gql(`query($id: ID!) { customer(id: $id) { timeline(first: 1) { nodes { ... on Interaction { type campaign } } } } }`, { id: c }));
    expect(tl.customer.timeline.nodes[0]).toEqual({ type: 'OFFER_ACCEPTED', campaign: 'spring-26' });
    const stats = await ok(app.gql(`query($id: ID!) { offer(id: $id) { stats { accepted rejected } } }`, { id: y }));
    expect(stats.offer.stats).toEqual({ accepted: 2, rejected: 0 });
  });

  it('an idempotency key stores and counts a response once', async () => {
    const c = (await makeCustomer(app)).id;
    const o = await createOffer({ code: 'idem', channels: ['WEB'] });
    const q = `mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`;
    const i = { customerId: c, offerId: o, channel: 'WEB', response: 'SHOWN', occurredAt: '2026-03-01T10:00:00Z', idempotencyKey: 'evt-1' };
    expect((await ok(app.gql(q, { i }))).recordOfferResponse.duplicate).toBe(false);
    expect((await ok(app.gql(q, { i }))).recordOfferResponse.duplicate).toBe(true);
    const conflict = await app.gql(q, { i: { ...i, response: 'REJECTED' } });
    expect(conflict.errors?.[0].extensions?.code).toBe('CONFLICT');
    const stats = await ok(app.gql(`query($id: ID!) { offer(id: $id) { stats { shown } } }`, { id: o }));
    expect(stats.offer.stats.shown).toBe(1);
  });
});

describe('access per role (served schema)', () => {
  let c: string;
  let other: string;
  let o: string;
  beforeAll(async () => {
    c = (await makeCustomer(app)).id;
    other = (await makeCustomer(app)).id;
    await consent(c, 'PERSONALIZATION', 'WEB');
    o = await createOffer({ code: 'roles', channels: ['WEB'] });
  });
  const codeOf = (res: { errors?: Array<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

  it('nextBestOffers: admin, support, marketing and the customer; not analysts or partners', async () => {
    for (const role of [Role.ADMIN, Role.SUPPORT, Role.MARKETING]) {
      const res = await app.gql(NBO, { id: c, ch: 'WEB' }, { role });
      expect(res.errors).toBeUndefined();
      expect(res.data.customer.nextBestOffers.map((x: { offer: { id: string } }) => x.offer.id)).toContain(o);
    }
    const analyst = await app.gql(NBO, { id: c, ch: 'WEB' }, { role: Role.ANALYST });
    expect(codeOf(analyst)).toBe('FORBIDDEN');
    expect(JSON.stringify(analyst.data)).not.toContain(o);
    const self = await app.gql(`query($id: ID!) { customer(id: $id) { nextBestOffers(channel: WEB) { offer { id name } pAccept reason } } }`, { id: c }, { role: Role.CUSTOMER, customerId: c });
    expect(self.errors).toBeUndefined();
    expect(self.data.customer.nextBestOffers.map((x: { offer: { id: string } }) => x.offer.id)).toContain(o);
    // What the offer is worth to the business stays with staff.
    const selfValue = await app.gql(`query($id: ID!) { customer(id: $id) { nextBestOffers(channel: WEB) { expectedValue { amountMinor } offer { value { amountMinor } } } } }`, { id: c }, { role: Role.CUSTOMER, customerId: c });
    expect(codeOf(selfValue)).toBe('FORBIDDEN');
    const stranger = await app.gql(NBO, { id: c, ch: 'WEB' }, { role: Role.CUSTOMER, customerId: other });
    expect(stranger.data?.customer ?? null).toBeNull();
  });

  it('offers and campaigns: staff who plan or report; writes for marketing and admin only', async () => {
    for (const role of [Role.ADMIN, Role.MARKETING, Role.ANALYST]) expect((await app.gql('{ offers { code } campaigns { code } }', {}, { role })).errors).toBeUndefined();
    for (const role of [Role.SUPPORT, Role.CUSTOMER]) expect(codeOf(await app.gql('{ offers { code } }', {}, { role, customerId: c }))).toBe('FORBIDDEN');
    for (const role of [Role.SUPPORT, Role.ANALYST, Role.CUSTOMER]) {
      const before = await digest();
      const res = await app.gql(`mutation { createOffer(input: { code: "by-${role}", name: "x", valueMinor: 1, currency: "EUR", channels: [WEB], startsAt: "${START}" }) { id } }`, {}, { role, customerId: c });
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(await digest()).toBe(before);
    }
  });

  it('recordOfferResponse: not marketing, and a customer only for themself', async () => {
    const before = await digest();
    expect(codeOf(await app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`, { i: { customerId: c, offerId: o, channel: 'WEB', response: 'ACCEPTED' } }, { role: Role.MARKETING }))).toBe('FORBIDDEN');
    const res = await app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`, { i: { customerId: c, offerId: o, channel: 'WEB', response: 'ACCEPTED' } }, { role: Role.CUSTOMER, customerId: other });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_OWNER' });
    expect(await digest()).toBe(before);
    const own = await app.gql(`mutation($i: RecordOfferResponseInput!) { recordOfferResponse(input: $i) { duplicate } }`, { i: { customerId: c, offerId: o, channel: 'WEB', response: 'SHOWN' } }, { role: Role.CUSTOMER, customerId: c });
    expect(own.errors).toBeUndefined();
  });
});
