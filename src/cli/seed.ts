import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { esc } from '../import/copy-text';
import type { Logger } from '../logger';
import { runAnalytics } from '../analytics/run';

/** A value in COPY text format: arrays as PostgreSQL array literals (demo values hold no commas or quotes), objects as JSON. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (Array.isArray(v)) return esc(`{${v.join(',')}}`);
  if (typeof v === 'object') return esc(JSON.stringify(v));
  return esc(String(v));
}

/**
 * Deterministic demo data: the same seed and anchor day give the same customers, ids and histories.
 * Generated in JS from a seeded PRNG, written with COPY in one transaction, so a crash leaves nothing half-seeded.
 */
export interface SeedOptions {
  customers: number;
  /** Also segments, campaigns with sends, opens and clicks, and offers with responses (npm start's demo). */
  showcase?: boolean;
  seed?: number;
  /** Histories end at this instant; default: today 00:00 UTC. */
  anchor?: Date;
}

export interface SeedSummary {
  /** Where the time went: generating the rows, then each table's insert. */
  timingsMs: Record<string, number>;
  customers: number;
  segments: number;
  campaigns: number;
  offers: number;
  products: number;
  orders: number;
  orderLines: number;
  interactions: number;
  feedback: number;
  consents: number;
}

/** A small seeded PRNG: the same seed gives the same demo data (and test data) on every run. */
export function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken', 'Frances', 'Dennis', 'Radia', 'Linus', 'Katherine', 'Tim', 'Hedy', 'Guido', 'Sophie', 'John', 'Shafi', 'Leslie', 'Anita', 'Niklaus', 'Lynn', 'Bjarne', 'Mary', 'James', 'Joan', 'Yukihiro', 'Karen', 'Vint'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Thompson', 'Allen', 'Ritchie', 'Perlman', 'Torvalds', 'Johnson', 'Berners-Lee', 'Lamarr', 'van Rossum', 'Wilson', 'McCarthy', 'Goldwasser', 'Lamport', 'Borg', 'Wirth', 'Conway', 'Stroustrup', 'Kenneth', 'Gosling', 'Clarke', 'Matsumoto', 'Sparck Jones', 'Cerf'];
const CITIES: Array<[string, string, string]> = [['London', 'GB', 'en-GB'], ['Manchester', 'GB', 'en-GB'], ['Paris', 'FR', 'fr-FR'], ['Lyon', 'FR', 'fr-FR'], ['Berlin', 'DE', 'de-DE'], ['Munich', 'DE', 'de-DE'], ['Madrid', 'ES', 'es-ES'], ['Amsterdam', 'NL', 'nl-NL'], ['Dublin', 'IE', 'en-IE'], ['Milan', 'IT', 'it-IT']];
const CATEGORIES: Array<[string, string[], [number, number]]> = [
  ['books', ['Penguin', 'Vintage', "O'Reilly", 'Faber'], [799, 3999]],
  ['music', ['Blue Note', 'Deutsche Grammophon', 'Warp', 'XL'], [999, 2999]],
  ['kitchen', ['Le Creuset', 'OXO', 'Tefal', 'Bialetti'], [1299, 24999]],
  ['garden', ['Fiskars', 'Gardena', 'Haws', 'Burgon'], [599, 15999]],
  ['electronics', ['Sony', 'Anker', 'Bose', 'Raspberry Pi'], [1999, 49999]],
  ['toys', ['LEGO', 'Ravensburger', 'Hape', 'Brio'], [999, 12999]],
  ['fashion', ['Patagonia', 'Uniqlo', 'Barbour', 'Veja'], [1999, 29999]],
  ['beauty', ['Aesop', 'Weleda', 'Nivea', 'Dr. Hauschka'], [499, 6999]],
];
const WORDS = ['Classic', 'Essential', 'Compact', 'Deluxe', 'Everyday', 'Heritage', 'Modern', 'Travel', 'Studio', 'Signature'];

type Persona = 'prospect' | 'new' | 'active' | 'at_risk' | 'lapsed' | 'won_back';

// Mobile ranges libphonenumber accepts as valid, so a demo phone looks up like a real one (E.164).
const MOBILE_PREFIX: Record<string, [string, number]> = { GB: ['+447911', 6], FR: ['+336', 8], DE: ['+49151', 8], ES: ['+346', 8], NL: ['+316', 8], IE: ['+35385', 7], IT: ['+39312', 7] };
function phoneNumber(country: string, n: number): string {
  const [prefix, digits] = MOBILE_PREFIX[country] ?? MOBILE_PREFIX.GB;
  return prefix + String(n).padStart(digits, '0');
}

/** [code, name, started days ago, runs for days (0: open-ended)] */
const DEMO_CAMPAIGNS: Array<[string, string, number, number]> = [
  ['welcome', 'Welcome series', 120, 0],
  ['spring-sale', 'Spring sale', 75, 14],
  ['newsletter', 'Monthly newsletter', 20, 0],
  ['win-back', 'We miss you', 10, 30],
];
const DEMO_SEGMENTS: Array<[string, string, Record<string, unknown>]> = [
  ['Champions', 'Bought recently and often', { rfmSegmentIn: ['Champions'] }],
  ['Slipping away', 'At risk or lapsed', { lifecycleStageIn: ['at_risk', 'lapsed'] }],
  ['High churn risk, reachable by e-mail', 'Likely to churn and opted in to e-mail', { all: [{ metric: { field: 'churn_risk', op: '>=', value: 0.6 } }, { consent: { purpose: 'email_marketing', channel: 'email', status: 'granted' } }] }],
  ['Book lovers', 'Bought books in the last year', { bought: { category: 'books', withinDays: 365 } }],
  ['New this month', 'First order in the last 30 days', { lifecycleStageIn: ['new'] }],
];
const DEMO_OFFERS: Array<{ code: string; name: string; description: string; campaign: string; goal: string; valueMinor: number; discountPercent?: number; discountMinor?: number; segments: string[]; reach: number }> = [
  { code: 'WELCOME10', name: '10% off your next order', description: 'For customers who bought recently', campaign: 'welcome', goal: 'loyalty', valueMinor: 500, discountPercent: 10, segments: ['Champions', 'New this month'], reach: 0.3 },
  { code: 'COMEBACK15', name: '€15 off when you come back', description: 'Win-back offer', campaign: 'win-back', goal: 'win_back', valueMinor: 1500, discountMinor: 1500, segments: ['Slipping away'], reach: 0.25 },
  { code: 'BOOKS3FOR2', name: 'Three books for two', description: 'Cross-sell for readers', campaign: 'spring-sale', goal: 'cross_sell', valueMinor: 1200, segments: ['Book lovers'], reach: 0.2 },
];

export async function isDatabaseEmpty(em: EntityManager): Promise<boolean> {
  const rows: Array<{ n: string }> = await em.execute('select count(*) as n from (select 1 from customers limit 1) x');
  return Number(rows[0].n) === 0;
}

/**
 * npm start's demo: into a database without customers, the showcase data and its analytics (metrics,
 * lifecycle stages, segment members), so every feature answers from the first request. False: not empty.
 */
export async function seedDemoIfEmpty(orm: MikroORM, customers: number, logger: Logger): Promise<boolean> {
  if (!(await isDatabaseEmpty(orm.em.fork()))) return false;
  const started = Date.now();
  const summary = await seedDemoData(orm, { customers, showcase: true });
  logger.info({ ...summary, ms: Date.now() - started }, 'seeded demo data');
  const run = await runAnalytics(orm.em.fork() as EntityManager);
  logger.info({ ms: run?.durationMs }, 'computed analytics of the demo data');
  return true;
}

export async function seedDemoData(orm: MikroORM, opts: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  const rnd = mulberry32(opts.seed ?? 42);
  const anchor = opts.anchor ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const DAY = 86_400_000;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const hex8 = () => ((rnd() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  // A version-4 UUID from the seeded PRNG (crypto.randomUUID would differ on every run).
  const uuid = () => {
    const a = hex8(), b = hex8(), c = hex8(), d = hex8();
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${((parseInt(c[0], 16) & 0x3) | 0x8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  };
  const at = (msAgo: number) => new Date(anchor.getTime() - msAgo).toISOString();

  const products: Array<{ id: string; sku: string; name: string; category: string; brand: string; price_minor: number; currency: string }> = [];
  for (const [category, brands, [lo, hi]] of CATEGORIES) {
    for (let i = 0; i < 25; i++) {
      const brand = pick(brands);
      products.push({ id: uuid(), sku: `${category.slice(0, 3).toUpperCase()}-${String(i + 1).padStart(4, '0')}`, name: `${brand} ${pick(WORDS)} ${category.replace(/s$/, '')} ${i + 1}`, category, brand, price_minor: Math.round(int(lo, hi) / 100) * 100 - 1, currency: 'EUR' });
    }
  }

  type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const customers: Row[] = [], identities: Row[] = [], orders: Row[] = [], lines: Row[] = [], interactions: Row[] = [], feedback: Row[] = [], consents: Row[] = [];
  const emailOptIn: Array<{ id: string; n: number; createdDaysAgo: number; engagement: number }> = [];
  // Lifecycles as shops see them: many never buy or lapse, a third are active, a few are new or won back.
  const PERSONAS: Array<[Persona, number]> = [['prospect', 0.15], ['new', 0.05], ['active', 0.33], ['at_risk', 0.15], ['lapsed', 0.27], ['won_back', 0.05]];
  const persona = (): Persona => {
    let x = rnd();
    for (const [p, w] of PERSONAS) if ((x -= w) < 0) return p;
    return 'active';
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  for (let n = 1; n <= opts.customers; n++) {
    const first = FIRST[(n - 1) % FIRST.length];
    const last = LAST[Math.floor((n - 1) / FIRST.length) % LAST.length];
    const [city, country, locale] = pick(CITIES);
    const id = uuid();
    const who = persona();
    const tenureDays = who === 'new' ? int(3, 28) : who === 'lapsed' ? int(420, 1100) : who === 'won_back' ? int(300, 1100) : who === 'at_risk' ? int(200, 1100) : int(30, 1100);
    const createdAt = at(tenureDays * DAY);
    const email = `${first}.${last}.${n}`.toLowerCase().replace(/[^a-z0-9.]/g, '') + '@example.com';
    // Value varies a lot between customers, as it does in life: a few buy often, most rarely.
    const engagement = who === 'active' ? 0.2 + 0.8 * rnd() ** 1.5 : rnd() ** 2;
    // Order days (ago), newest first; each persona's last order falls where its stage says.
    const orderDays: number[] = [];
    if (who === 'new') orderDays.push(int(0, tenureDays - 1));
    else if (who !== 'prospect') {
      const count = Math.round(engagement * 14) + 1;
      const newest = who === 'active' ? int(0, 90) : who === 'at_risk' ? int(185, Math.min(360, tenureDays - 1)) : who === 'lapsed' ? int(370, tenureDays - 1) : int(1, 80);
      const oldestAllowed = tenureDays - 1;
      orderDays.push(newest);
      // won back: a gap of 200+ days before the latest order
      const from = who === 'won_back' ? Math.min(oldestAllowed, newest + int(200, 260)) : newest;
      for (let o = 1; o < count; o++) orderDays.push(from + Math.floor(rnd() * Math.max(1, oldestAllowed - from)));
      if (who === 'won_back' && count === 1) orderDays.push(Math.min(oldestAllowed, from));
    }
    const phone = rnd() < 0.6 ? phoneNumber(country, n) : null;
    customers.push({ id, first_name: first, last_name: last, email, phone, birth_date: rnd() < 0.7 ? `${int(1950, 2004)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}` : null, locale, address: { line1: `${int(1, 200)} ${pick(['High', 'Station', 'Church', 'Mill', 'Park'])} Street`, city, postalCode: String(int(10000, 99999)), country }, traits: { signupSource: pick(['web', 'store', 'app', 'referral']) }, created_at: createdAt, first_seen_at: createdAt });
    identities.push({ id: uuid(), customer_id: id, kind: 'email', namespace: '', value: email, source: 'web' });
    if (phone) identities.push({ id: uuid(), customer_id: id, kind: 'phone', namespace: '', value: phone, source: 'store' });
    if (rnd() < 0.5) identities.push({ id: uuid(), customer_id: id, kind: 'loyalty_card', namespace: '', value: `LC${String(100000 + n)}`, source: 'store' });
    identities.push({ id: uuid(), customer_id: id, kind: 'crm_id', namespace: 'crm', value: `CRM-${String(n).padStart(7, '0')}`, source: 'crm' });

    let lastSeen = tenureDays * DAY;
    const favourite = pick(CATEGORIES)[0];
    const favouriteProducts = products.filter((p) => p.category === favourite);
    orderDays.forEach((days, o) => {
      const ago = days * DAY + int(0, DAY - 1);
      lastSeen = Math.min(lastSeen, ago);
      const orderId = uuid();
      let subtotal = 0;
      const lineCount = int(1, 4);
      for (let l = 0; l < lineCount; l++) {
        const p = pick(rnd() < 0.6 ? favouriteProducts : products);
        const qty = rnd() < 0.85 ? 1 : int(2, 3);
        subtotal += p.price_minor * qty;
        lines.push({ id: uuid(), order_id: orderId, position: l + 1, customer_id: id, product_id: p.id, quantity: qty, unit_price_minor: p.price_minor, line_total_minor: p.price_minor * qty, currency: 'EUR' });
      }
      const discount = rnd() < 0.2 ? Math.round(subtotal * 0.1) : 0;
      const channel = pick(['web', 'web', 'web', 'app', 'store']);
      orders.push({ id: orderId, customer_id: id, external_id: `ORD-${n}-${o + 1}`, source: channel === 'store' ? 'pos' : 'shop', placed_at: at(ago), channel, status: ago > 10 * DAY ? pick(['delivered', 'delivered', 'delivered', 'delivered', 'returned']) : 'paid', currency: 'EUR', subtotal_minor: subtotal, discount_minor: discount, total_minor: subtotal - discount });
      interactions.push({ id: uuid(), customer_id: id, occurred_at: at(ago + int(60_000, 3_600_000)), channel: channel === 'store' ? 'store' : channel, type: channel === 'store' ? 'store_visit' : 'product_view', product_id: lines[lines.length - 1].product_id, campaign: null, properties: {}, source: 'seed', source_event_id: `seed-${n}-o${o}` });
    });
    // Browsing follows buying: active customers were seen lately, lapsed ones long ago.
    const newestTouch = orderDays.length ? Math.max(0, orderDays[0] - int(0, 20)) : int(0, tenureDays - 1);
    const touchCount = Math.round(engagement * 40) + int(0, 5);
    for (let t = 0; t < touchCount; t++) {
      const ago = (newestTouch + Math.floor(rnd() * Math.max(1, tenureDays - newestTouch))) * DAY + int(0, DAY - 1);
      lastSeen = Math.min(lastSeen, ago);
      const kind = pick([['web', 'page_view'], ['web', 'product_view'], ['web', 'search'], ['web', 'cart_add'], ['app', 'page_view'], ['chat', 'chat_message'], ['support', 'ticket']] as const);
      const p = pick(products);
      interactions.push({ id: uuid(), customer_id: id, occurred_at: at(ago), channel: kind[0], type: kind[1], product_id: kind[1] === 'product_view' || kind[1] === 'cart_add' ? p.id : null, campaign: null, properties: kind[1] === 'search' ? { query: p.category } : kind[1] === 'page_view' ? { path: `/c/${p.category}` } : {}, source: 'seed', source_event_id: `seed-${n}-t${t}` });
    }
    const happy = who === 'active' || who === 'won_back' || who === 'new';
    if (rnd() < 0.35) feedback.push({ id: uuid(), customer_id: id, kind: 'nps', score: Math.min(10, Math.max(0, Math.round((happy ? 7.5 : 5) + engagement * 2 + gaussian() * 2))), text: null, topic: null, channel: 'email', product_id: null, status: 'resolved', submitted_at: at(int(1, Math.min(365, tenureDays)) * DAY) });
    if (orderDays.length && rnd() < 0.2) feedback.push({ id: uuid(), customer_id: id, kind: 'csat', score: Math.min(5, Math.max(1, Math.round((happy ? 4.2 : 3.4) + gaussian()))), text: null, topic: 'delivery', channel: 'email', product_id: null, status: 'resolved', submitted_at: at((orderDays[0] + int(1, 5)) * DAY) });
    if (orderDays.length && rnd() < 0.25) feedback.push({ id: uuid(), customer_id: id, kind: 'review', score: int(3, 5), text: pick(['Exactly as described.', 'Arrived quickly, great quality.', 'Good value.', 'Would buy again.']), topic: 'product', channel: 'web', product_id: lines[lines.length - 1].product_id, status: 'resolved', submitted_at: at(int(1, tenureDays) * DAY) });
    if (rnd() < (happy ? 0.04 : 0.09)) {
      // Support acknowledges within hours and resolves within a day or two, with a long tail;
      // the most recent complaints are still open or only acknowledged.
      const submittedAgo = int(0, Math.min(120, tenureDays)) * DAY + int(0, DAY - 1);
      const resolveHours = Math.exp(Math.log(30) + 0.9 * gaussian());
      const resolvedAgo = submittedAgo - resolveHours * 3_600_000;
      const ackHours = Math.exp(Math.log(3) + 0.8 * gaussian());
      const status = resolvedAgo > 0 ? 'resolved' : submittedAgo - ackHours * 3_600_000 > 0 ? 'acknowledged' : 'open';
      feedback.push({ id: uuid(), customer_id: id, kind: 'complaint', score: null, text: pick(['My parcel arrived damaged.', 'I was charged twice.', 'The refund has not arrived.', 'The wrong size was delivered.']), topic: pick(['delivery', 'billing', 'returns', 'product']), channel: pick(['support', 'email', 'chat', 'phone']), product_id: null, status, submitted_at: at(submittedAgo), resolved_at: status === 'resolved' ? at(Math.round(resolvedAgo)) : null });
    }
    const consentAt = at(tenureDays * DAY - 60_000);
    for (const [purpose, channel, p] of [['email_marketing', 'email', 0.65], ['sms_marketing', 'sms', 0.3], ['personalization', 'any', 0.75], ['third_party_sharing', 'any', 0.2], ['profiling', 'any', 0.5]] as const) {
      const granted = rnd() < p;
      consents.push({ id: uuid(), customer_id: id, purpose, channel, status: granted ? 'granted' : 'denied', lawful_basis: 'consent', source: 'signup', policy_version: '2024-01', recorded_at: consentAt });
      if (purpose === 'email_marketing' && granted) emailOptIn.push({ id, n, createdDaysAgo: tenureDays, engagement });
    }
    if (rnd() < 0.1) consents.push({ id: uuid(), customer_id: id, purpose: 'email_marketing', channel: 'email', status: 'withdrawn', lawful_basis: 'consent', source: 'preference_centre', policy_version: '2025-06', recorded_at: at(int(1, 30) * DAY) });
    customers[customers.length - 1].last_seen_at = at(lastSeen);
  }

  // Campaigns: each e-mail went to the customers who had opted in by then; opens and clicks follow engagement.
  const campaigns: Row[] = [], offers: Row[] = [], segments: Row[] = [];
  if (opts.showcase) {
    for (const [ci, [code, name, daysAgo, days]] of DEMO_CAMPAIGNS.entries()) {
      const startsAt = anchor.getTime() - daysAgo * DAY;
      campaigns.push({ id: uuid(), code, name, description: `Demo campaign: ${name}`, channels: ['email'], starts_at: new Date(startsAt).toISOString(), ends_at: days ? new Date(startsAt + days * DAY).toISOString() : null, status: days && daysAgo > days ? 'ended' : 'active', created_by: 'seed', created_at: new Date(startsAt - 7 * DAY).toISOString() });
      for (const c of emailOptIn) {
        if (c.createdDaysAgo <= daysAgo || rnd() > 0.85) continue;
        const sentAgo = daysAgo * DAY - int(0, 6 * 3_600_000);
        const event = (type: string, ago: number, k: string) => interactions.push({ id: uuid(), customer_id: c.id, occurred_at: at(ago), channel: 'email', type, product_id: null, campaign: code, properties: {}, source: 'seed', source_event_id: `seed-${c.n}-c${ci}${k}` });
        event('email_send', sentAgo, 's');
        if (rnd() < 0.12 + 0.45 * c.engagement) {
          const openAgo = sentAgo - int(60_000, 2 * DAY);
          event('email_open', openAgo, 'o');
          if (rnd() < 0.15 + 0.35 * c.engagement) event('email_click', openAgo - int(5_000, 600_000), 'c');
        }
      }
    }
    for (const [name, description, rule] of DEMO_SEGMENTS) segments.push({ id: uuid(), name, description, rule, created_by: 'seed' });
    // Offers were shown on the web and in e-mails; some were accepted, more declined or ignored.
    for (const [oi, o] of DEMO_OFFERS.entries()) {
      const campaign = campaigns.find((c) => c.code === o.campaign)!;
      const offer = { id: uuid(), code: o.code, name: o.name, description: o.description, campaign_id: campaign.id, goal: o.goal, value_minor: o.valueMinor, currency: 'EUR', discount_percent: o.discountPercent ?? null, discount_minor: o.discountMinor ?? null, segment_ids: o.segments.map((s) => segments.find((x) => x.name === s)!.id), consent_purpose: 'email_marketing', channels: ['web', 'email'], starts_at: campaign.starts_at, ends_at: null, max_acceptances_per_customer: 1, status: 'active', created_by: 'seed', created_at: campaign.created_at };
      offers.push(offer);
      for (const c of emailOptIn) {
        if (rnd() > o.reach || c.createdDaysAgo <= 40) continue;
        const shownAgo = int(1, 40) * DAY + int(0, DAY - 1);
        const respond = (type: string, ago: number, k: string) => interactions.push({ id: uuid(), customer_id: c.id, occurred_at: at(ago), channel: 'web', type, product_id: null, campaign: o.campaign, properties: { offerId: offer.id }, source: 'seed', source_event_id: `seed-${c.n}-f${oi}${k}` });
        respond('offer_shown', shownAgo, 's');
        const x = rnd();
        if (x < 0.08 + 0.25 * c.engagement) respond('offer_accepted', shownAgo - int(10_000, 3_600_000), 'a');
        else if (x < 0.5) respond('offer_rejected', shownAgo - int(10_000, 3_600_000), 'r');
      }
    }
  }

  const timings: Record<string, number> = { generate: Date.now() - started };
  // COPY on a connection of its own, in one transaction: the fastest way in, and a crash leaves nothing half-seeded.
  const client = new Client({ connectionString: orm.config.get('clientUrl') });
  await client.connect();
  try {
    await client.query('begin');
    const copy = async (table: string, rows: Row[], defaults: Row = {}) => {
      const t0 = Date.now();
      if (rows.length) {
        const columns = [...new Set([...Object.keys(defaults), ...rows.flatMap((r, i) => (i < 50 ? Object.keys(r) : []))])];
        const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
        const lines = function* () {
          for (let i = 0; i < rows.length; i += 1000) {
            yield rows.slice(i, i + 1000).map((r) => columns.map((c) => copyValue(r[c] === undefined ? defaults[c] : r[c])).join('\t') + '\n').join('');
          }
        };
        await pipeline(Readable.from(lines()), stream);
      }
      timings[table] = Date.now() - t0;
    };
    const now = anchor.toISOString();
    await copy('products', products, { created_at: new Date(anchor.getTime() - 1200 * DAY).toISOString() });
    await copy('customers', customers.map((c) => ({ updated_at: c.created_at, ...c })), { status: 'active', traits: {}, field_provenance: {}, last_seen_at: null });
    await copy('identities', identities, { created_at: now });
    await copy('orders', orders.map((r) => ({ created_at: r.placed_at, ...r })));
    await copy('order_lines', lines);
    await copy('interactions', interactions.map((r) => ({ created_at: r.occurred_at, ...r })));
    await copy('feedback', feedback.map((r) => ({ created_at: r.submitted_at, resolved_at: r.status === 'resolved' ? r.submitted_at : null, ...r })));
    await copy('campaigns', campaigns.map((r) => ({ updated_at: r.created_at, ...r })));
    await copy('segments', segments, { member_count: 0, created_at: now, updated_at: now });
    await copy('offers', offers.map((r) => ({ updated_at: r.created_at, ...r })), { shown_count: 0, accepted_count: 0, rejected_count: 0 });
    // The offers' counters, as recordOfferResponse keeps them, from the responses just written.
    if (offers.length) {
      await client.query(
        `update offers o set shown_count = r.shown, accepted_count = r.accepted, rejected_count = r.rejected
         from (select (properties ->> 'offerId')::uuid as offer_id,
                      count(*) filter (where type = 'offer_shown')::int as shown,
                      count(*) filter (where type = 'offer_accepted')::int as accepted,
                      count(*) filter (where type = 'offer_rejected')::int as rejected
               from interactions where type in ('offer_shown', 'offer_accepted', 'offer_rejected') and source = 'seed'
               group by 1) r
         where r.offer_id = o.id`,
      );
    }
    // consent_records.seq comes from its sequence: COPY in ledger order.
    consents.sort((a, b) => (a.recorded_at < b.recorded_at ? -1 : a.recorded_at > b.recorded_at ? 1 : 0));
    await copy('consent_records', consents);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
  return { timingsMs: timings, customers: customers.length, segments: segments.length, campaigns: campaigns.length, offers: offers.length, products: products.length, orders: orders.length, orderLines: lines.length, interactions: interactions.length, feedback: feedback.length, consents: consents.length };
}
