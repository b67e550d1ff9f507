import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parse as parseCsv } from 'csv-parse/sync';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer, ok } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';
import { defaultKeyring } from '../../src/auth/pseudonyms';
import { toGlobalId } from '../../src/schema/global-id';
import { TS_NODE_FLAGS } from '../helpers/ts-child';

/**
 * Exports (README "Exports"): `npx rapport export` as a child process and `Segment.members` through the
 * real HTTP server, on one set of customers covering every consent state and every exclusion.
 */

let app: TestApp;
let dir: string;
let segmentId: string;
/** E-mail address → customer global id, per case. */
const people: Record<string, { id: string; email: string }> = {};
let expectedEmail: string[];

const dbId = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();

async function consent(who: string, status: string, extra: Record<string, unknown> = {}) {
  await ok(app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`, {
    input: { customerId: people[who].id, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status, source: 'test', policyVersion: 'v1', ...extra },
  }));
}

beforeAll(async () => {
  app = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-export-'));
  const cases = ['granted', 'grantedAny', 'grantedUntilLater', 'denied', 'withdrawn', 'expired', 'channelMismatch', 'neverAsked',
    'erased', 'mergedAway', 'survivor', 'suppressed', 'elsewhere', 'smsOnly', 'contactOfOther', 'contactOfErased'];
  for (const c of cases) {
    const customer = await makeCustomer(app, { firstName: c, address: { country: c === 'elsewhere' ? 'FR' : 'GB' }, ...(c === 'smsOnly' ? { phone: '+447911123456' } : {}) });
    people[c] = { id: customer.id, email: customer.email! };
  }
  for (const c of ['granted', 'denied', 'withdrawn', 'erased', 'mergedAway', 'survivor', 'suppressed', 'elsewhere', 'contactOfOther', 'contactOfErased']) await consent(c, c === 'denied' ? 'DENIED' : 'GRANTED');
  await consent('withdrawn', 'WITHDRAWN');
  await consent('grantedAny', 'GRANTED', { channel: 'ANY' });
  await consent('grantedUntilLater', 'GRANTED', { expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() });
  await consent('expired', 'GRANTED', { recordedAt: daysAgo(10), expiresAt: daysAgo(1) });
  await consent('channelMismatch', 'GRANTED', { channel: 'SMS' });
  await consent('smsOnly', 'GRANTED', { channel: 'SMS', purpose: 'SMS_MARKETING' });

  const seg = await ok(app.gql(`mutation { createSegment(input: { name: "UK customers", rule: { country: ["GB"] } }) { id memberCount } }`));
  segmentId = seg.createSegment.id;
  expect(seg.createSegment.memberCount).toBe(cases.length - 1);

  // A contact address that is not the member's own: a customer writing their own profile may not learn
  // whose an identifier is, so an address another profile holds (or an erased person's) is stored as
  // their contact field as stated, neither linked nor refused (README "Identity resolution and merges").
  // A send to it would reach the other person: no export carries it. The erased person's address is
  // written before their erasure (after it, the write is refused: SUPPRESSED).
  for (const [who, address] of [['contactOfOther', people.denied.email], ['contactOfErased', people.erased.email]] as const) {
    const own = await ok(app.gql(`mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id email } } }`,
      { input: { id: people[who].id, email: address } }, { role: Role.CUSTOMER, customerId: people[who].id }));
    expect(own.upsertCustomer.customer).toEqual({ id: people[who].id, email: address });
  }

  // Then the exclusions that happen to members: erasure, a merge, and an identifier on the suppression list.
  await ok(app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }`, { id: people.erased.id }));
  await ok(app.gql(`mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { survivor { id } } }`, {
    input: { survivorId: people.survivor.id, loserId: people.mergedAway.id, reason: 'same person' },
  }));
  const keyring = defaultKeyring();
  const [identity] = await app.sql<{ kind: string; namespace: string; value: string }>(
    `select kind, namespace, value from identities where customer_id = ? and kind = 'email'`, [dbId(people.suppressed.id)]);
  await app.sql('insert into suppressed_identifiers (digest, key_id) values (?, ?)', [keyring.identifierDigest(identity).digest, keyring.newest.id]);


  // Who EMAIL_MARKETING on EMAIL may reach: granted (for EMAIL or ANY, not yet expired), active, not suppressed, in the segment.
  expectedEmail = ['granted', 'grantedAny', 'grantedUntilLater', 'survivor'].map((c) => people[c].id).sort();
}, 240_000);

afterAll(async () => {
  await app?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TS_NODE_FLAGS, 'src/cli/rapport.ts', 'export', ...args], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: app.config.databaseUrl!, LOG_LEVEL: 'warn', TS_NODE_TRANSPILE_ONLY: 'true', NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A child loads the app first (transpiled once a run, ts-register.js): tens of seconds on a loaded 2-core machine. The bound is for a hung child. */
const CLI_TIMEOUT = 180_000;

describe('npx rapport export', () => {
  it('writes a CSV of exactly the members whose consent in force allows e-mail marketing by e-mail, with the proof of consent, and audits it', async () => {
    const out = path.join(dir, 'email.csv');
    const res = await runCli(['--segment', segmentId, '--purpose', 'EMAIL_MARKETING', '--format', 'csv', '--out', out, '--actor', 'jest', '--json']);
    expect(res.stderr).not.toMatch(/Error/);
    expect(res.code).toBe(0);
    // Not a terminal: plain progress lines, then the summary.
    expect(res.stderr).toMatch(/^export: \d+ of 4 rows/m);
    const rows: Array<Record<string, string>> = parseCsv(fs.readFileSync(out, 'utf8'), { columns: true });
    expect(Object.keys(rows[0])).toEqual(['customer_id', 'email', 'first_name', 'last_name', 'locale', 'segment_entered_at', 'consent_id',
      'consent_channel', 'consent_recorded_at', 'consent_expires_at', 'consent_policy_version']);
    expect(rows.map((r) => r.customer_id).sort()).toEqual(expectedEmail);
    const granted = rows.find((r) => r.customer_id === people.granted.id)!;
    expect(granted.email).toBe(people.granted.email);
    expect(granted.first_name).toBe('granted');
    expect(rows.find((r) => r.customer_id === people.grantedAny.id)!.consent_channel).toBe('ANY');
    expect(rows.find((r) => r.customer_id === people.grantedUntilLater.id)!.consent_expires_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The proof of consent is the record in force, as the API names it.
    const proof = await ok(app.gql(`query($id: ID!) { node(id: $id) { ... on ConsentRecord { status channel customer { id } } } }`, { id: granted.consent_id }));
    expect(proof.node).toEqual({ status: 'GRANTED', channel: 'EMAIL', customer: { id: people.granted.id } });

    const summary = JSON.parse(res.stderr.trim().split('\n').pop()!);
    expect(summary).toMatchObject({ rows: 4, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', format: 'csv', segmentId });
    const audit = await app.sql<{ action: string; customer_id: string | null; fields: string[]; role: string; actor: string }>(
      'select action, customer_id, fields, role, actor from audit_log where request_id = ? order by action, customer_id', [summary.auditRequestId]);
    const exportRow = audit.find((a) => a.action === 'EXPORT')!;
    expect(exportRow.fields).toEqual([`segment=${segmentId}`, 'purpose=EMAIL_MARKETING', 'channel=EMAIL', 'format=csv', 'count=4']);
    expect(exportRow.actor).toBe(defaultKeyring().actor('cli:jest'));
    const reads = audit.filter((a) => a.action === 'READ');
    expect(reads.map((r) => toGlobalId('Customer', r.customer_id!)).sort()).toEqual(expectedEmail);
    expect(reads[0].fields).toEqual(['Customer.email', 'Customer.firstName', 'Customer.lastName']);
  }, CLI_TIMEOUT);

  it('writes NDJSON to stdout, with the channel from the purpose; another channel reaches other people', async () => {
    const res = await runCli(['--segment', 'UK customers', '--purpose', 'sms_marketing', '--format', 'ndjson', '--quiet']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // SMS marketing on SMS: the one with an SMS grant and a phone number (channelMismatch granted SMS for EMAIL_MARKETING, not this purpose).
    expect(lines).toEqual([expect.objectContaining({ customer_id: people.smsOnly.id, phone: '+447911123456', consent_channel: 'SMS', first_name: 'smsOnly' })]);
    expect(lines[0]).not.toHaveProperty('email');

    const email = await runCli(['--segment', segmentId, '--purpose', 'EMAIL_MARKETING', '--format', 'ndjson', '--quiet']);
    expect(email.code).toBe(0);
    expect(email.stdout.trim().split('\n').map((l) => JSON.parse(l).customer_id).sort()).toEqual(expectedEmail);
  }, CLI_TIMEOUT * 2);

  it('answers usage errors with exit code 2 and an unknown segment with 1, writing nothing', async () => {
    const before = await app.sql<{ n: string }>(`select count(*) n from audit_log where operation = 'export'`);
    const usage = await runCli(['--segment', segmentId, '--purpose', 'EMAIL_MARKETING', '--format', 'xml']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--format csv or --format ndjson/);
    const out = path.join(dir, 'none.csv');
    const missing = await runCli(['--segment', toGlobalId('Segment', '00000000-0000-4000-8000-000000000000'), '--purpose', 'EMAIL_MARKETING', '--format', 'csv', '--out', out]);
    expect(missing.code).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
    expect(await app.sql(`select count(*) n from audit_log where operation = 'export'`)).toEqual(before);
  }, CLI_TIMEOUT * 2);
});

describe('consent expiry', () => {
  it('is refused on anything but a grant, and before the decision, writing nothing', async () => {
    const before = await app.sql(`select count(*) n from consent_records`);
    for (const [extra, why] of [
      [{ status: 'DENIED', expiresAt: daysAgo(-1) }, 'only a grant can expire'],
      [{ status: 'GRANTED', recordedAt: daysAgo(2), expiresAt: daysAgo(3) }, 'expiresAt must be after recordedAt'],
    ] as const) {
      const res = await app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`, {
        input: { customerId: people.granted.id, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', source: 'test', policyVersion: 'v1', ...extra },
      });
      expect(res.errors?.[0]).toMatchObject({ message: why, extensions: { code: 'BAD_USER_INPUT', field: 'expiresAt' } });
    }
    expect(await app.sql(`select count(*) n from consent_records`)).toEqual(before);
  });

  it('the export reads the consent in force exactly as rapport_consent_status does, for every state and channel', async () => {
    const disagree = await app.sql(
      `select c.id, ch from customers c cross join unnest(array['email', 'sms', 'any']) ch
        where (select r.status = 'granted' and (r.expires_at is null or r.expires_at > now()) from consent_records r
                where r.customer_id = c.id and r.purpose = 'email_marketing' and r.channel in (ch, 'any') order by r.seq desc limit 1)
              is distinct from (rapport_consent_status(c.id, 'email_marketing', ch) = 'granted')
          and rapport_consent_status(c.id, 'email_marketing', ch) <> 'none'`);
    expect(disagree).toEqual([]);
    const states = await app.sql<{ s: string }>(`select distinct rapport_consent_status(id, 'email_marketing', 'email') s from customers order by 1`);
    expect(states.map((r) => r.s)).toEqual(['denied', 'expired', 'granted', 'none', 'withdrawn']);
  });

  it('makes the consent in force "expired" for every check, not only exports', async () => {
    const [row] = await app.sql<{ s: string }>(`select rapport_consent_status(?::uuid, 'email_marketing', 'email') s`, [dbId(people.expired.id)]);
    expect(row.s).toBe('expired');
    // Marketing reads an e-mail address only under a grant in force: not this one.
    const res = await app.gql(`query($id: ID!) { customer(id: $id) { email } }`, { id: people.expired.id }, { role: Role.MARKETING });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NO_CONSENT' });
  });
});

describe('Segment.members', () => {
  const MEMBERS = `query($id: ID!, $after: String, $first: Int!, $channel: ConsentChannel) { segment(id: $id) {
    members(consentPurpose: EMAIL_MARKETING, channel: $channel, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { enteredAt customer { id email } consent { status channel } } } } }`;

  it('pages through the same members as the export, by keyset, for admin and marketing (who read the e-mail under that consent)', async () => {
    for (const role of [Role.ADMIN, Role.MARKETING]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const res: { errors?: unknown; data?: any } = await app.gql(MEMBERS, { id: segmentId, after, first: 3 }, { role }); // eslint-disable-line @typescript-eslint/no-explicit-any
        expect(res.errors).toBeUndefined();
        const members: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: Array<{ consent: { status: string }; customer: { id: string; email: string } }> } = res.data.segment.members;
        expect(members.totalCount).toBe(4);
        for (const n of members.nodes) {
          expect(n.consent.status).toBe('GRANTED');
          expect(n.customer.email).toMatch(/@example\.com$/);
          seen.push(n.customer.id);
        }
        if (!members.pageInfo.hasNextPage) break;
        after = members.pageInfo.endCursor;
      }
      expect(seen).toEqual([...expectedEmail].sort((a, b) => dbId(a).localeCompare(dbId(b))));
    }
    // Marketing's e-mail reads are personal-data reads: audited per customer.
    const audited = await app.sql<{ customer_id: string }>(`select distinct customer_id from audit_log where role = 'marketing' and action = 'READ' and 'Customer.email' = any(fields)`);
    expect(audited.map((a) => toGlobalId('Customer', a.customer_id)).sort()).toEqual(expectedEmail);
  });

  it('applies the channel: on SMS (which needs a phone number) the e-mail marketing grants reach nobody here', async () => {
    const res = await ok(app.gql(MEMBERS, { id: segmentId, first: 10, channel: 'SMS' }));
    // On SMS (which needs a phone number): channelMismatch granted EMAIL_MARKETING for SMS but has no phone; grantedAny (ANY) has none either.
    expect(res.segment.members.nodes).toEqual([]);
  });

  it('is refused to support, analysts and customers', async () => {
    for (const role of [Role.SUPPORT, Role.ANALYST, Role.CUSTOMER]) {
      const res = await app.gql(MEMBERS, { id: segmentId, first: 1 }, { role, customerId: people.granted.id });
      expect(res.data?.segment?.members ?? null).toBeNull();
      expect(res.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    }
  });
});
