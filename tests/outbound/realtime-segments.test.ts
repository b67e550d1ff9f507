import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, ok } from '../helpers/fixtures';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const SET_CONSENT = `mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`;
const CREATE_SEGMENT = `mutation($name: String!, $rule: SegmentRuleInput!) { createSegment(input: { name: $name, rule: $rule }) { id memberCount } }`;
const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const consent = (customerId: string, purpose: string, status: string, channel = 'ANY') =>
  ok(app.gql(SET_CONSENT, { input: { customerId, purpose, channel, status, source: 'test', policyVersion: 'v1' } }));

async function openStays(customerId: string) {
  return (await app.sql<{ name: string }>(
    'select s.name from segment_memberships m join segments s on s.id = m.segment_id where m.customer_id::text = ? and m.left_at is null order by s.name', [dbId(customerId)],
  )).map((r) => r.name);
}

it('a consent withdrawal removes the customer from every segment requiring it before setConsent returns', async () => {
  const c = await makeCustomer(app);
  const other = await makeCustomer(app);
  for (const id of [c.id, other.id]) {
    await consent(id, 'EMAIL_MARKETING', 'GRANTED');
    await consent(id, 'SMS_MARKETING', 'GRANTED');
  }
  const requiresEmail = (await ok(app.gql(CREATE_SEGMENT, { name: 'rt-email', rule: { consent: { purpose: 'EMAIL_MARKETING' } } }))).createSegment;
  await ok(app.gql(CREATE_SEGMENT, { name: 'rt-email-and-sms', rule: { all: [{ consent: { purpose: 'SMS_MARKETING' } }, { all: [{ consent: { purpose: 'EMAIL_MARKETING' } }] }] } }));
  await ok(app.gql(CREATE_SEGMENT, { name: 'rt-email-or-sms', rule: { any: [{ consent: { purpose: 'EMAIL_MARKETING' } }, { consent: { purpose: 'SMS_MARKETING' } }] } }));
  expect(await openStays(c.id)).toEqual(['rt-email', 'rt-email-and-sms', 'rt-email-or-sms']);
  const countBefore = requiresEmail.memberCount;

  // A withdrawal on another channel leaves a grant on ANY in force: nothing changes.
  await consent(c.id, 'EMAIL_MARKETING', 'WITHDRAWN', 'SMS');
  expect(await openStays(c.id)).toEqual(['rt-email', 'rt-email-and-sms', 'rt-email-or-sms']);

  const before = Number((await app.sql<{ m: string }>('select coalesce(max(id), 0) as m from outbox_events'))[0].m);
  await consent(c.id, 'EMAIL_MARKETING', 'WITHDRAWN');
  // Right after the mutation: out of both segments that require email consent; the "either" one stays.
  expect(await openStays(c.id)).toEqual(['rt-email-or-sms']);
  expect(await openStays(other.id)).toEqual(['rt-email', 'rt-email-and-sms', 'rt-email-or-sms']);
  // memberCount counts current members (open stays): the exit shows at once.
  const { segment: seg } = await ok(app.gql(`query($id: ID!) { segment(id: $id) { memberCount } }`, { id: requiresEmail.id }));
  expect(seg.memberCount).toBe(countBefore - 1);
  // History kept (entered and left times), and the exits are in the outbox after the consent change.
  const [stay] = await app.sql<{ in_order: boolean; left_at: string | null }>(
    `select left_at::text, left_at >= entered_at as in_order from segment_memberships m join segments s on s.id = m.segment_id where s.name = 'rt-email' and m.customer_id::text = ?`, [dbId(c.id)]);
  expect(stay.left_at).not.toBeNull();
  expect(stay.in_order).toBe(true);
  const events = await app.sql<{ type: string }>('select type from outbox_events where id > ? and customer_id::text = ? order by id', [before, dbId(c.id)]);
  expect(events.map((e) => e.type)).toEqual(['consent.changed', 'segment.exited', 'segment.exited']);
});
