import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';

/**
 * Deterministic demo data: the same seed and anchor day give the same customers, ids and histories.
 * Written set-based (jsonb_to_recordset in chunks), one transaction, so a crash leaves nothing half-seeded.
 */
export interface SeedOptions {
  customers: number;
  seed?: number;
  /** Histories end at this instant; default: today 00:00 UTC. */
  anchor?: Date;
}

export interface SeedSummary {
  customers: number;
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

export async function isDatabaseEmpty(em: EntityManager): Promise<boolean> {
  const rows: Array<{ n: string }> = await em.execute('select count(*) as n from (select 1 from customers limit 1) x');
  return Number(rows[0].n) === 0;
}

export async function seedDemoData(orm: MikroORM, opts: SeedOptions): Promise<SeedSummary> {
  const rnd = mulberry32(opts.seed ?? 42);
  const anchor = opts.anchor ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
  const DAY = 86_400_000;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const uuid = () => {
    const h = Array.from({ length: 32 }, () => Math.floor(rnd() * 16).toString(16));
    h[12] = '4';
    h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
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
  for (let n = 1; n <= opts.customers; n++) {
    const first = FIRST[(n - 1) % FIRST.length];
    const last = LAST[Math.floor((n - 1) / FIRST.length) % LAST.length];
    const [city, country, locale] = pick(CITIES);
    const id = uuid();
    const tenureDays = int(30, 1100);
    const createdAt = at(tenureDays * DAY);
    const email = `${first}.${last}.${n}`.toLowerCase().replace(/[^a-z0-9.]/g, '') + '@example.com';
    // Value varies a lot between customers, as it does in life: a few buy often, most rarely.
    const engagement = rnd() ** 2;
    const orderCount = rnd() < 0.15 ? 0 : Math.round(engagement * 20) + 1;
    let lastSeen = tenureDays * DAY;
    customers.push({ id, first_name: first, last_name: last, email, phone: rnd() < 0.6 ? `+4477009${String(n).padStart(5, '0')}` : null, birth_date: rnd() < 0.7 ? `${int(1950, 2004)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}` : null, locale, address: { line1: `${int(1, 200)} ${pick(['High', 'Station', 'Church', 'Mill', 'Park'])} Street`, city, postalCode: String(int(10000, 99999)), country }, traits: { signupSource: pick(['web', 'store', 'app', 'referral']) }, created_at: createdAt, first_seen_at: createdAt });
    identities.push({ id: uuid(), customer_id: id, kind: 'email', namespace: '', value: email, source: 'web' });
    if (customers[customers.length - 1].phone) identities.push({ id: uuid(), customer_id: id, kind: 'phone', namespace: '', value: customers[customers.length - 1].phone, source: 'store' });
    if (rnd() < 0.5) identities.push({ id: uuid(), customer_id: id, kind: 'loyalty_card', namespace: '', value: `LC${String(100000 + n)}`, source: 'store' });
    identities.push({ id: uuid(), customer_id: id, kind: 'crm_id', namespace: 'crm', value: `CRM-${String(n).padStart(7, '0')}`, source: 'crm' });

    const favourite = pick(CATEGORIES)[0];
    for (let o = 0; o < orderCount; o++) {
      const ago = Math.floor(rnd() * tenureDays * DAY);
      lastSeen = Math.min(lastSeen, ago);
      const orderId = uuid();
      let subtotal = 0;
      const lineCount = int(1, 4);
      for (let l = 0; l < lineCount; l++) {
        const candidates = rnd() < 0.6 ? products.filter((p) => p.category === favourite) : products;
        const p = pick(candidates);
        const qty = rnd() < 0.85 ? 1 : int(2, 3);
        subtotal += p.price_minor * qty;
        lines.push({ id: uuid(), order_id: orderId, position: l + 1, customer_id: id, product_id: p.id, quantity: qty, unit_price_minor: p.price_minor, line_total_minor: p.price_minor * qty, currency: 'EUR' });
      }
      const discount = rnd() < 0.2 ? Math.round(subtotal * 0.1) : 0;
      const channel = pick(['web', 'web', 'web', 'app', 'store']);
      orders.push({ id: orderId, customer_id: id, external_id: `ORD-${n}-${o + 1}`, source: channel === 'store' ? 'pos' : 'shop', placed_at: at(ago), channel, status: ago > 10 * DAY ? pick(['delivered', 'delivered', 'delivered', 'returned']) : 'paid', currency: 'EUR', subtotal_minor: subtotal, discount_minor: discount, total_minor: subtotal - discount });
      interactions.push({ id: uuid(), customer_id: id, occurred_at: at(ago + int(60_000, 3_600_000)), channel: channel === 'store' ? 'store' : channel, type: channel === 'store' ? 'store_visit' : 'product_view', product_id: lines[lines.length - 1].product_id, campaign: null, properties: {}, source: 'seed', source_event_id: `seed-${n}-o${o}` });
    }
    const touchCount = Math.round(engagement * 40) + int(0, 5);
    for (let t = 0; t < touchCount; t++) {
      const ago = Math.floor(rnd() * tenureDays * DAY);
      lastSeen = Math.min(lastSeen, ago);
      const kind = pick([['web', 'page_view'], ['web', 'product_view'], ['web', 'search'], ['web', 'cart_add'], ['email', 'email_open'], ['email', 'email_click'], ['app', 'page_view'], ['chat', 'chat_message'], ['support', 'ticket']] as const);
      const p = pick(products);
      interactions.push({ id: uuid(), customer_id: id, occurred_at: at(ago), channel: kind[0], type: kind[1], product_id: kind[1] === 'product_view' || kind[1] === 'cart_add' ? p.id : null, campaign: kind[0] === 'email' ? pick(['spring-sale', 'welcome', 'win-back', 'newsletter']) : null, properties: kind[1] === 'search' ? { query: p.category } : kind[1] === 'page_view' ? { path: `/c/${p.category}` } : {}, source: 'seed', source_event_id: `seed-${n}-t${t}` });
    }
    if (rnd() < 0.35) feedback.push({ id: uuid(), customer_id: id, kind: 'nps', score: Math.min(10, Math.max(0, Math.round(5 + engagement * 6 + (rnd() - 0.5) * 4))), text: null, topic: null, channel: 'email', product_id: null, status: 'resolved', submitted_at: at(int(1, tenureDays) * DAY) });
    if (orderCount > 0 && rnd() < 0.25) feedback.push({ id: uuid(), customer_id: id, kind: 'review', score: int(3, 5), text: pick(['Exactly as described.', 'Arrived quickly, great quality.', 'Good value.', 'Would buy again.']), topic: 'product', channel: 'web', product_id: lines[lines.length - 1].product_id, status: 'resolved', submitted_at: at(int(1, tenureDays) * DAY) });
    if (rnd() < 0.06) feedback.push({ id: uuid(), customer_id: id, kind: 'complaint', score: null, text: pick(['My parcel arrived damaged.', 'I was charged twice.', 'The refund has not arrived.']), topic: pick(['delivery', 'billing', 'returns']), channel: 'support', product_id: null, status: pick(['open', 'acknowledged', 'resolved']), submitted_at: at(int(1, 60) * DAY) });
    const consentAt = at(tenureDays * DAY - 60_000);
    for (const [purpose, channel, p] of [['email_marketing', 'email', 0.65], ['sms_marketing', 'sms', 0.3], ['personalization', 'any', 0.75], ['third_party_sharing', 'any', 0.2], ['profiling', 'any', 0.5]] as const) {
      consents.push({ id: uuid(), customer_id: id, purpose, channel, status: rnd() < p ? 'granted' : 'denied', lawful_basis: 'consent', source: 'signup', policy_version: '2024-01', recorded_at: consentAt });
    }
    if (rnd() < 0.1) consents.push({ id: uuid(), customer_id: id, purpose: 'email_marketing', channel: 'email', status: 'withdrawn', lawful_basis: 'consent', source: 'preference_centre', policy_version: '2025-06', recorded_at: at(int(1, 30) * DAY) });
    customers[customers.length - 1].last_seen_at = at(lastSeen);
  }

  await orm.em.fork().transactional(async (em) => {
    // Columns absent from a row take NULL here, so every NOT NULL column is given explicitly below.
    const insert = async (table: string, rows: Row[]) => {
      for (let i = 0; i < rows.length; i += 5000) {
        await em.execute(`insert into ${table} select * from jsonb_populate_recordset(null::${table}, ?::jsonb)`, [JSON.stringify(rows.slice(i, i + 5000))]);
      }
    };
    await insert('products', products.map((p) => ({ ...p, created_at: new Date(anchor.getTime() - 1200 * DAY).toISOString() })));
    await insert('customers', customers.map((c) => ({ status: 'active', updated_at: c.created_at, traits: {}, field_provenance: {}, ...c })));
    await insert('identities', identities.map((r) => ({ created_at: anchor.toISOString(), ...r })));
    await insert('orders', orders.map((r) => ({ created_at: r.placed_at, ...r })));
    await insert('order_lines', lines);
    await insert('interactions', interactions.map((r) => ({ created_at: r.occurred_at, ...r })));
    await insert('feedback', feedback.map((r) => ({ created_at: r.submitted_at, resolved_at: r.status === 'resolved' ? r.submitted_at : null, ...r })));
    // consent_records.seq comes from its sequence: insert in ledger order.
    consents.sort((a, b) => (a.recorded_at < b.recorded_at ? -1 : a.recorded_at > b.recorded_at ? 1 : 0));
    for (let i = 0; i < consents.length; i += 5000) {
      await em.execute(
        `insert into consent_records (id, customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at)
         select id, customer_id, purpose, channel, status, lawful_basis, source, policy_version, recorded_at
         from jsonb_to_recordset(?::jsonb) as r(id uuid, customer_id uuid, purpose text, channel text, status text, lawful_basis text, source text, policy_version text, recorded_at timestamptz)
         order by recorded_at`,
        [JSON.stringify(consents.slice(i, i + 5000))],
      );
    }
  });
  return { customers: customers.length, products: products.length, orders: orders.length, orderLines: lines.length, interactions: interactions.length, feedback: feedback.length, consents: consents.length };
}
