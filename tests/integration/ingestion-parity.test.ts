import { startTestApp, type TestApp } from '../helpers/test-server';
import { ok } from '../helpers/fixtures';
import { mulberry32 } from '../../src/cli/seed';
import { defaultKeyring } from '../../src/auth/pseudonyms';
import { toGlobalId } from '../../src/schema/global-id';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { TS_NODE_FLAGS } from '../helpers/ts-child';

/**
 * One ingestion core behind every write path (README "One ingestion pipeline"): the same generated
 * event stream goes through ingestEvents (in batches, and one event per request) and through the
 * single GraphQL mutations (upsertCustomer, then recordInteraction / recordOrder on the customer it
 * answers), each on a database of its own through the real HTTP server. The database states,
 * normalised for generated ids and times, and the rejects (code, field) must be identical.
 */

type Id = { kind: string; namespace?: string; value: string };
interface Event {
  kind: 'IDENTIFY' | 'INTERACTION' | 'ORDER';
  idempotencyKey: string;
  source: string;
  identifiers: Id[];
  profile?: Record<string, unknown>;
  interaction?: { occurredAt: string; channel: string; type: string; sku?: string; campaign?: string; properties?: Record<string, unknown> };
  order?: { placedAt: string; channel: string; currency: string; discountMinor?: number; promoCode?: string; lines: Array<{ sku: string; quantity: number; unitPriceMinor?: number }> };
}

const SKUS = [['PAR-1', 1200, 'EUR'], ['PAR-2', 900, 'EUR'], ['PAR-3', 2500, 'USD']] as const;
const GONE = 'gone@parity.example';
const OFFER_CODE = 'PAR-OFFER';
const CAMPAIGN_CODE = 'PAR-CAMPAIGN';

/** The stream: new, known and linking identifiers, merges (allowed and refused by the policy), replays, conflicting replays, junk, suppressed and bad rows. */
function stream(seed: number): Event[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: Event[] = [];
  let k = 0;
  const key = () => `k-${++k}`;
  const day = (d: number, h = 10) => new Date(Date.UTC(2026, 0, 1 + d, h)).toISOString();
  const email = (p: number) => ({ kind: 'EMAIL', value: `P${p}@Parity.Example` });
  const phone = (p: number) => ({ kind: 'PHONE', value: `+44 20 7946 ${String(1000 + p)}` });
  const device = (p: number) => ({ kind: 'DEVICE', value: `dev-${p}` });
  const view = (ids: Id[], d: number, extra: Partial<Event['interaction']> = {}): Event => ({
    kind: 'INTERACTION', idempotencyKey: key(), source: pick(['web', 'app']), identifiers: ids,
    interaction: { occurredAt: day(d, Math.floor(rnd() * 20)), channel: 'WEB', type: pick(['PAGE_VIEW', 'PRODUCT_VIEW', 'SEARCH']), properties: { n: Math.floor(rnd() * 100), tag: pick(['a', 'b']) }, ...extra },
  });
  const order = (ids: Id[], d: number, lines: Array<{ sku: string; quantity: number; unitPriceMinor?: number }> = [{ sku: 'PAR-1', quantity: 1 + Math.floor(rnd() * 3) }]): Event => ({
    kind: 'ORDER', idempotencyKey: key(), source: 'shop', identifiers: ids, order: { placedAt: day(d), channel: 'WEB', currency: 'EUR', lines },
  });
  const PEOPLE = 8;
  for (let p = 0; p < PEOPLE; p++) {
    // New people: by IDENTIFY, or first seen in activity.
    if (p % 2 === 0) {
      out.push({ kind: 'IDENTIFY', idempotencyKey: key(), source: 'crm', identifiers: [email(p), device(p)], profile: { firstName: `First${p}`, traits: { tier: pick(['gold', 'silver']) } } });
    } else {
      out.push(view([email(p), device(p)], p));
    }
    // Known identifier; then a new identifier linked to a known one.
    out.push(view([email(p)], p + 1));
    out.push(order([email(p), phone(p)], p + 2));
    // A later profile update from another source (provenance per field).
    out.push({ kind: 'IDENTIFY', idempotencyKey: key(), source: 'store', identifiers: [phone(p)], profile: { lastName: `Last${p}`, traits: { store: `S${p % 3}` } } });
  }
  const replays: Event[] = [];
  for (let i = 0; i < 6; i++) {
    const e = out[Math.floor(rnd() * out.length)];
    if (e.kind !== 'IDENTIFY') replays.push(e);
  }
  out.push(...replays.map((e) => ({ ...e })));
  // Conflicting replays: same key, other content.
  const v = out.find((e) => e.kind === 'INTERACTION')!;
  out.push({ ...v, interaction: { ...v.interaction!, type: 'CART_ADD' } });
  const o = out.find((e) => e.kind === 'ORDER')!;
  out.push({ ...o, order: { ...o.order!, lines: [{ sku: 'PAR-2', quantity: 1 }] } });
  // Merges: an event carrying the email of one person and the phone of another (both merge automatically).
  out.push(view([email(0), phone(1)], 20));
  out.push(order([email(2), phone(3)], 21));
  out.push({ kind: 'IDENTIFY', idempotencyKey: key(), source: 'crm', identifiers: [email(4), phone(5)], profile: { firstName: 'Merged' } });
  // Refused by MERGE_POLICY: devices do not merge automatically.
  out.push(view([device(6), device(7)], 22));
  // Junk identifiers: ignored beside a real one; alone, the event is refused.
  out.push(view([email(6), { kind: 'EMAIL', value: 'test@test.com' }], 23));
  out.push(view([{ kind: 'EMAIL', value: 'noreply@shop.example' }], 23));
  // Suppressed: an erased customer's identifier.
  out.push(view([{ kind: 'EMAIL', value: GONE }], 24));
  // Bad rows (of known people): unknown sku, a discount above the subtotal, a time in the future.
  out.push(view([email(1)], 25, { sku: 'NO-SUCH' }));
  out.push({ ...order([email(1)], 25), order: { placedAt: day(25), channel: 'WEB', currency: 'EUR', discountMinor: 999_999, lines: [{ sku: 'PAR-1', quantity: 1 }] } });
  out.push(view([email(3)], 400));
  // A price in another currency needs unitPriceMinor.
  out.push(order([email(5)], 26, [{ sku: 'PAR-3', quantity: 1 }]));
  out.push(order([email(5)], 26, [{ sku: 'PAR-3', quantity: 1, unitPriceMinor: 2000 }, { sku: 'PAR-2', quantity: 2 }]));
  // Checkout codes (recordOrder's promoCode, the same on every path): an offer's, a campaign's, an unknown one;
  // a replay of a coded order, and the same order number with another code (a conflict: attribution is content).
  const coded = (code: string) => ({ ...order([email(7)], 27), order: { ...order([], 27).order!, promoCode: code } });
  const byOffer = coded(OFFER_CODE);
  out.push(byOffer, coded(CAMPAIGN_CODE), coded('NO-SUCH-CODE'), { ...byOffer }, { ...byOffer, order: { ...byOffer.order!, promoCode: CAMPAIGN_CODE } });
  // IDENTIFY under an idempotency key (upsertCustomer's idempotencyKey): a replay, and the key reused with another profile.
  const profile = out.find((e) => e.kind === 'IDENTIFY' && e.source === 'store')!;
  out.push({ ...profile }, { ...profile, profile: { lastName: 'Someone Else' } });
  return out;
}

interface Answer { rejected: boolean; code: string | null; field: string | null }

const INGEST = `mutation($events: [IngestEventInput!]!) {
  ingestEvents(events: $events) { results { status error { code field reason } } }
}`;
const UPSERT = `mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customer { id } } }`;
const INTERACTION = `mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate } }`;
const ORDER = `mutation($input: RecordOrderInput!) { recordOrder(input: $input) { created } }`;

/** A field as named relative to the event, whatever the path's input shape. */
function eventField(kind: Event['kind'], field: string | null): string | null {
  if (!field) return null;
  const f = field.replace(/^events\[\d+\]\.?/, '').replace(/^input\./, '').replace(/^(interaction|order)\./, '').replace(/^identifiers/, 'identities');
  if (f === 'idempotencyKey' || f === 'sourceEventId' || f === 'externalId') return kind === 'ORDER' ? 'externalId' : kind === 'IDENTIFY' ? 'idempotencyKey' : 'sourceEventId';
  // recordInteraction names its product by id only; the stream names it by sku.
  return f === 'productId' ? 'sku' : f;
}

async function viaIngestEvents(app: TestApp, events: Event[], batch: number): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < events.length; i += batch) {
    const slice = events.slice(i, i + batch);
    const r = await ok<{ ingestEvents: { results: Array<{ status: string; error: { code: string; field: string | null } | null }> } }>(app.gql(INGEST, { events: slice }));
    r.ingestEvents.results.forEach((x, n) => out.push({ rejected: x.status === 'REJECTED', code: x.error?.code ?? null, field: eventField(slice[n].kind, x.error?.field ?? null) }));
  }
  return out;
}

async function viaMutations(app: TestApp, events: Event[]): Promise<Answer[]> {
  const products = new Map((await app.sql<{ sku: string; id: string }>(`select sku, id from products`)).map((p) => [p.sku, toGlobalId('Product', p.id)]));
  const answer = (kind: Event['kind'], res: { errors?: Array<{ extensions?: Record<string, unknown> }> }): Answer => {
    const ext = res.errors?.[0]?.extensions;
    return ext ? { rejected: true, code: String(ext.code), field: eventField(kind, (ext.field as string | undefined) ?? null) } : { rejected: false, code: null, field: null };
  };
  const out: Answer[] = [];
  for (const e of events) {
    // The customer an activity event names, found (or created) by its identifiers; an IDENTIFY event is this call, under its key.
    const key = e.kind === 'IDENTIFY' ? { idempotencyKey: e.idempotencyKey } : {};
    const who = await app.gql<{ upsertCustomer: { customer: { id: string } } }>(UPSERT, { input: { identities: e.identifiers, source: e.source, ...(e.profile ?? {}), ...key } });
    if (e.kind === 'IDENTIFY' || who.errors) {
      out.push(answer(e.kind, who));
      continue;
    }
    const customerId = who.data!.upsertCustomer.customer.id;
    if (e.interaction) {
      const { sku, ...i } = e.interaction;
      out.push(answer(e.kind, await app.gql(INTERACTION, { input: { ...i, customerId, source: e.source, sourceEventId: e.idempotencyKey, productId: sku ? products.get(sku) ?? toGlobalId('Product', '00000000-0000-4000-8000-000000000000') : undefined } })));
    } else {
      const o = e.order!;
      out.push(answer(e.kind, await app.gql(ORDER, { input: { ...o, customerId, source: e.source, externalId: e.idempotencyKey, lines: o.lines.map(({ sku, ...l }) => ({ ...l, sku })) } })));
    }
  }
  return out;
}

/**
 * The import path: the stream written as an NDJSON import file (one row per event, identifiers in
 * `identities`) and run through the real CLI in a child process; its rejects file answers per line.
 */
function importRow(e: Event): Record<string, unknown> {
  const identities = e.identifiers.map((i) => ({ kind: i.kind, namespace: i.namespace ?? '', value: i.value }));
  if (e.kind === 'IDENTIFY') {
    const profile = Object.fromEntries(Object.entries(e.profile ?? {}).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
    return { type: 'customer', source: e.source, idempotency_key: e.idempotencyKey, identities, ...profile };
  }
  if (e.interaction) {
    const i = e.interaction;
    return {
      type: 'interaction', source: e.source, source_event_id: e.idempotencyKey, identities, occurred_at: i.occurredAt, channel: i.channel,
      interaction_type: i.type, product_sku: i.sku, campaign: i.campaign, properties: i.properties,
    };
  }
  const o = e.order!;
  return {
    type: 'order', source: e.source, external_id: e.idempotencyKey, identities, placed_at: o.placedAt, channel: o.channel, currency: o.currency,
    discount_minor: o.discountMinor, promo_code: o.promoCode, lines: o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unit_price_minor: l.unitPriceMinor })),
  };
}

/** A column of the import file as the API names the field (snake case → camel case; product_sku is the sku). */
const importField = (field: string | null) => (field === 'product_sku' ? 'sku' : field?.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) ?? null);

async function viaImportCli(app: TestApp, events: Event[], chunkSize?: number): Promise<Answer[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-parity-'));
  try {
    const file = path.join(dir, 'stream.ndjson');
    const rejectsFile = path.join(dir, 'rejects.ndjson');
    fs.writeFileSync(file, events.map((e) => JSON.stringify(importRow(e))).join('\n') + '\n');
    let out = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [
        ...TS_NODE_FLAGS, 'src/cli/rapport.ts', 'import', file, '--rejects', rejectsFile, '--quiet', '--json', ...(chunkSize ? ['--chunk-size', String(chunkSize)] : []),
      ], {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, DATABASE_URL: app.config.databaseUrl, LOG_LEVEL: 'warn', TS_NODE_TRANSPILE_ONLY: 'true' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout.on('data', (b) => (out += b));
      // A hung child fails the test instead of holding it: loading the app alone takes 5-30 s on a loaded machine.
      const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    // One record per window: people of earlier windows are known, so their plain activity takes the fast path
    // (direct COPY), and replays of its keys its fallback to the core.
    if (chunkSize) expect(JSON.parse(out.trim().split('\n').pop()!).copiedDirectly).toBeGreaterThan(0);
    const rejects = new Map(fs.readFileSync(rejectsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; errorCode: string; field: string | null }).map((r) => [r.line, r]));
    return events.map((e, n) => {
      const r = rejects.get(n + 1);
      return r ? { rejected: true, code: r.errorCode, field: eventField(e.kind, importField(r.field)) } : { rejected: false, code: null, field: null };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The database's content, with generated ids replaced by each customer's identities and times by their order of magnitude. */
async function state(app: TestApp): Promise<Record<string, unknown>> {
  const label = `(select coalesce(string_agg(i.kind || ':' || i.namespace || ':' || i.value, ' ' order by i.kind, i.namespace, i.value), '-') from identities i where i.customer_id = %)`;
  const by = (col: string) => label.replace('%', col);
  const q = (s: string) => app.sql(s);
  return {
    customers: await q(`select ${by('c.id')} as who, c.status, c.first_name, c.last_name, c.email, c.phone, c.traits,
        -- Never seen in activity: the time of the write.
        case when c.first_seen_at > now() - interval '1 day' then 'at write' else c.first_seen_at::text end as first_seen,
        case when c.last_seen_at > now() - interval '1 day' then 'at write' else c.last_seen_at::text end as last_seen,
        (select jsonb_object_agg(k, v->>'source') from jsonb_each(c.field_provenance) x(k, v)) as provenance
      from customers c where c.status = 'active' order by 1`),
    mergedAway: await q(`select count(*)::int as n from customers where status = 'merged'`),
    identities: await q(`select kind, namespace, value, source, ${by('customer_id')} as who from identities order by kind, namespace, value`),
    orders: await q(`select o.source, o.external_id, ${by('o.customer_id')} as who, o.placed_at, o.channel, o.status, o.currency, o.subtotal_minor, o.discount_minor, o.total_minor,
        (select code from offers where id = o.offer_id) as offer, (select code from campaigns where id = o.campaign_id) as campaign,
        (select json_agg(json_build_array(p.sku, l.quantity, l.unit_price_minor, l.position) order by l.position) from order_lines l join products p on p.id = l.product_id where l.order_id = o.id) as lines
      from orders o order by o.source, o.external_id`),
    interactions: await q(`select n.source, n.source_event_id, ${by('n.customer_id')} as who, n.occurred_at, n.channel, n.type, p.sku, n.campaign, n.properties
      from interactions n left join products p on p.id = n.product_id order by n.source, n.source_event_id`),
    // The sender's event key of every interaction, claimed for it (by the per-row trigger, or by the import's own COPY on its fast path).
    eventKeys: await q(`select k.source, k.source_event_id, n.id is not null and k.occurred_at = n.occurred_at as claimed_for_its_interaction
      from interaction_event_keys k left join interactions n on n.id = k.interaction_id and n.source = k.source and n.source_event_id = k.source_event_id
      order by 1, 2`),
    unclaimedInteractions: await q(`select count(*)::int as n from interactions n where n.source_event_id is not null
      and not exists (select 1 from interaction_event_keys k where k.source = n.source and k.source_event_id = n.source_event_id and k.interaction_id = n.id)`),
    merges: await q(`select ${by('m.survivor_id')} as survivor, m.actor from customer_merges m order by 1, 2`),
    // Every key, of every kind (recordOrder's externalId and upsertCustomer's idempotencyKey included). An
    // activity mutation names the customer by id where ingestEvents names identifiers, so only their content
    // hashes differ by design; an IDENTIFY is the same event on both paths, hash included.
    ledger: await q(`select source, idempotency_key, kind, result->>'status' as status, case when kind = 'IDENTIFY' then content_hash end as identify_hash,
        -- The person the key stored for, as they are now (merges followed: which of two profiles created in one batch survives is a tie of creation times).
        ${by(`(with recursive h(id, next) as (select c.id, c.merged_into_id from customers c where c.id = (e.result->>'customerId')::uuid
               union all select c.id, c.merged_into_id from customers c join h on c.id = h.next) select id from h where next is null)`)} as who
      from ingest_events e order by 1, 2`),
  };
}

async function prepare(app: TestApp): Promise<void> {
  for (const [sku, price, currency] of SKUS) {
    await app.sql(`insert into products (sku, name, category, price_minor, currency) values (?, ?, 'parity', ?, ?)`, [sku, sku, price, currency]);
  }
  const gone = defaultKeyring().identifierDigest({ kind: 'email', namespace: '', value: GONE });
  await app.sql(`insert into suppressed_identifiers (digest, key_id) values (?, ?)`, [gone.digest, gone.keyId]);
  const start = '2025-12-01T00:00:00Z';
  const c = await ok<{ createCampaign: { id: string } }>(app.gql(`mutation { createCampaign(input: { code: "${CAMPAIGN_CODE}", name: "Parity", channels: [EMAIL], startsAt: "${start}" }) { id } }`));
  await ok(app.gql(`mutation($c: ID!) { createOffer(input: { code: "${OFFER_CODE}", name: "Parity offer", campaignId: $c, valueMinor: 500, currency: "EUR", channels: [EMAIL], startsAt: "${start}", status: ACTIVE }) { id } }`, { c: c.createCampaign.id }));
}

const apps: TestApp[] = [];
afterAll(async () => {
  for (const a of apps) await a.close();
});

describe('one ingestion core behind every write path', () => {
  it('ingestEvents in batches, ingestEvents one event at a time and the single mutations leave identical databases and identical rejects', async () => {
    const events = stream(21);
    const paths: Array<[string, (app: TestApp) => Promise<Answer[]>]> = [
      ['ingestEvents, batches of 25', (app) => viaIngestEvents(app, events, 25)],
      ['ingestEvents, one per request', (app) => viaIngestEvents(app, events, 1)],
      ['mutations', (app) => viaMutations(app, events)],
      ['import CLI, one window', (app) => viaImportCli(app, events)],
      ['import CLI, windows of one record', (app) => viaImportCli(app, events, 1)],
    ];
    const results: Array<{ path: string; answers: Answer[]; state: Record<string, unknown> }> = [];
    for (const [path, run] of paths) {
      const app = await startTestApp();
      apps.push(app);
      await prepare(app);
      const answers = await run(app);
      results.push({ path, answers, state: await state(app) });
    }
    const [first, ...rest] = results;
    // The stream exercises what it claims to: merges, refusals of every kind, replays.
    const codes = new Set(first.answers.filter((a) => a.rejected).map((a) => `${a.code}:${a.field}`));
    expect(codes).toEqual(new Set([
      'CONFLICT:sourceEventId', 'CONFLICT:externalId', 'CONFLICT:identities', 'BAD_USER_INPUT:identities', 'NOT_FOUND:sku',
      'BAD_USER_INPUT:discountMinor', 'BAD_USER_INPUT:occurredAt', 'BAD_USER_INPUT:lines[0].unitPriceMinor',
      'BAD_USER_INPUT:promoCode', 'CONFLICT:idempotencyKey',
    ]));
    // Every kind under a key reached the ledger, and both kinds of attribution reached orders.
    expect(new Set((first.state.ledger as Array<{ kind: string }>).map((r) => r.kind))).toEqual(new Set(['IDENTIFY', 'INTERACTION', 'ORDER']));
    expect((first.state.orders as Array<{ offer: string | null; campaign: string | null }>).filter((o) => o.campaign).map((o) => [o.offer, o.campaign]).sort())
      .toEqual([[null, CAMPAIGN_CODE], [OFFER_CODE, CAMPAIGN_CODE]]);
    expect((first.state.merges as unknown[]).length).toBe(3);
    expect(first.state.unclaimedInteractions).toEqual([{ n: 0 }]);
    expect((first.state.eventKeys as Array<{ claimed_for_its_interaction: boolean }>).every((k) => k.claimed_for_its_interaction)).toBe(true);
    for (const other of rest) {
      expect({ path: other.path, answers: other.answers }).toEqual({ path: other.path, answers: first.answers });
      expect({ path: other.path, ...other.state }).toEqual({ path: other.path, ...first.state });
    }
  }, 300_000);
});
