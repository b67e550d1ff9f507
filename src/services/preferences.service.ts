import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerPreference } from '../entities';
import { ContactFrequency, PersonalizationUnavailableReason, PreferenceBasis, PreferenceKind, PreferredChannel } from '../entities/preference-enums';
import { badInput } from '../errors/domain-error';
import { requireActiveCustomer, type WriteAudit } from './customer.service';
import { cleanText, rejectNul } from './validation';
import { uuidArray } from './pagination';

// ---------------------------------------------------------------------------------------------
// Stated preferences
// ---------------------------------------------------------------------------------------------

/** Bounds on what one customer may state: a preference centre, not a data store. */
export const PREFERENCE_LIMITS = {
  maxValuesPerKind: 20,
  maxValueLength: 100,
  perKind: { [PreferenceKind.CHANNEL]: Object.keys(PreferredChannel).length, [PreferenceKind.CONTACT_FREQUENCY]: 1 } as Partial<Record<PreferenceKind, number>>,
};

const KINDS = new Set<string>(Object.values(PreferenceKind));
/** The SetPreferencesInput field each kind comes from, so errors name what the client sent. */
export const INPUT_FIELD: Record<PreferenceKind, string> = {
  [PreferenceKind.CATEGORY]: 'input.categories',
  [PreferenceKind.BRAND]: 'input.brands',
  [PreferenceKind.AUTHOR]: 'input.authors',
  [PreferenceKind.CHANNEL]: 'input.channels',
  [PreferenceKind.CONTACT_FREQUENCY]: 'input.contactFrequency',
};
const CHANNELS = new Set<string>(Object.values(PreferredChannel));
const FREQUENCIES = new Set<string>(Object.values(ContactFrequency));

export interface SetPreferencesData {
  /** Per kind, the complete new set (an empty list clears it). Kinds not named keep what they hold. */
  sets: Partial<Record<string, readonly string[]>>;
  source?: string | null;
}

/** Validates and normalises one kind's values; the field names the input field the client sent. */
function normaliseValues(kind: PreferenceKind, values: readonly string[], field: string): string[] {
  const max = PREFERENCE_LIMITS.perKind[kind] ?? PREFERENCE_LIMITS.maxValuesPerKind;
  if (values.length > max) throw badInput(`${field} takes at most ${max} value${max === 1 ? '' : 's'}`, field);
  const seen = new Map<string, string>();
  values.forEach((raw, i) => {
    const at = `${field}[${i}]`;
    if (typeof raw !== 'string') throw badInput(`${at} must be a string`, at);
    rejectNul(raw, at);
    const v = raw.trim().replace(/\s+/g, ' ');
    if (!v) throw badInput(`${at} must not be empty`, at);
    if (v.length > PREFERENCE_LIMITS.maxValueLength) throw badInput(`${at} must be at most ${PREFERENCE_LIMITS.maxValueLength} characters`, at);
    if (/[\u0000-\u001f\u007f]/.test(v)) throw badInput(`${at} must not contain control characters`, at);
    let value = v;
    if (kind === PreferenceKind.CATEGORY || kind === PreferenceKind.CHANNEL || kind === PreferenceKind.CONTACT_FREQUENCY) value = v.toLowerCase();
    if (kind === PreferenceKind.CHANNEL && !CHANNELS.has(value)) throw badInput(`${at} must be one of ${[...CHANNELS].join(', ')}`, at);
    if (kind === PreferenceKind.CONTACT_FREQUENCY && !FREQUENCIES.has(value)) throw badInput(`${at} must be one of ${[...FREQUENCIES].join(', ')}`, at);
    // Brands and authors keep their spelling; "penguin" and "Penguin" are one preference (the first spelling wins).
    const key = value.toLowerCase();
    if (!seen.has(key)) seen.set(key, value);
  });
  return [...seen.values()];
}

/**
 * Replaces the stated set of each kind named, in one transaction: values no longer stated are
 * deleted, new ones inserted, values kept keep their statedAt (and source). Nothing is written
 * unless every kind validates.
 */
export async function setPreferences(em: EntityManager, customerId: string, data: SetPreferencesData, audit?: WriteAudit): Promise<void> {
  const source = cleanText(data.source, 'input.source', 64) ?? 'api';
  const entries = Object.entries(data.sets).filter((e): e is [string, readonly string[]] => e[1] !== undefined);
  if (!entries.length) throw badInput('name at least one kind of preference to set', 'input');
  const rows: Array<{ kind: string; value: string }> = [];
  for (const [kind, values] of entries) {
    if (!KINDS.has(kind)) throw badInput(`unknown preference kind "${kind}"; known kinds: ${[...KINDS].join(', ')}`, 'input');
    const field = INPUT_FIELD[kind as PreferenceKind];
    if (values === null || !Array.isArray(values)) throw badInput(`${field} must be a list (an empty list clears it)`, field);
    for (const value of normaliseValues(kind as PreferenceKind, values, field)) rows.push({ kind, value });
  }
  const kinds = entries.map(([k]) => k);

  await em.transactional(async (tem) => {
    // Locks the profile row: two concurrent replacements of one customer's set serialise, so the result is one of them, whole.
    await tem.execute('select 1 from customers where id = ? for update', [customerId]);
    const customer = await requireActiveCustomer(tem, customerId);
    await tem.execute(
      `delete from customer_preferences p
       where p.customer_id = ? and p.kind = any(?::text[])
         and not exists (select 1 from jsonb_to_recordset(?::jsonb) as n(kind text, value text) where n.kind = p.kind and n.value = p.value)`,
      [customer.id, `{${kinds.join(',')}}`, JSON.stringify(rows)],
    );
    if (rows.length) {
      await tem.execute(
        `insert into customer_preferences (customer_id, kind, value, source)
         select ?, n.kind, n.value, ? from jsonb_to_recordset(?::jsonb) as n(kind text, value text)
         on conflict (customer_id, kind, value) do nothing`,
        [customer.id, source, JSON.stringify(rows)],
      );
    }
    await audit?.(tem, customer.id);
  });
}

/** Stated preferences of many customers, one statement. */
export async function loadStatedPreferences(em: EntityManager, customerIds: readonly string[]): Promise<CustomerPreference[][]> {
  const rows: Array<Record<string, unknown>> = await em.execute(
    `select * from customer_preferences where customer_id = any(?::uuid[]) order by customer_id, kind, stated_at, value`,
    [uuidArray(customerIds)],
  );
  const byCustomer = new Map<string, CustomerPreference[]>();
  for (const r of rows) {
    const id = String(r.customer_id);
    if (!byCustomer.has(id)) byCustomer.set(id, []);
    byCustomer.get(id)!.push(em.map(CustomerPreference, r as never));
  }
  return customerIds.map((id) => byCustomer.get(id) ?? []);
}

// ---------------------------------------------------------------------------------------------
// Inferred preferences
// ---------------------------------------------------------------------------------------------

/**
 * The inference formula, shared with the recommendation fallback. Each signal weighs
 *   purchase: 3 × units   (order lines of orders not cancelled or returned)
 *   view:     1           (product_view interactions)
 * times 0.5^(age in days / HALF_LIFE_DAYS); signals older than WINDOW_DAYS are ignored (weight < 0.4 %).
 * A category's (or brand's) score is the sum over the customer's signals on its products.
 */
export const INFERENCE = { purchaseWeight: 3, viewWeight: 1, halfLifeDays: 90, windowDays: 730, top: 5 } as const;

/**
 * A CTE body: the weighted signals (customer_id, product_id, category, brand, w, units, views) of
 * the customers in the relation `customers` (with a customer_id column). Bind parameters: asOf × 4.
 */
export function weightedSignalsSql(customers: string): string {
  const decay = (at: string) => `power(0.5::float8, greatest(0, extract(epoch from ?::timestamptz - ${at}))::float8 / 86400 / ${INFERENCE.halfLifeDays})`;
  return `
    select l.customer_id, p.id as product_id, p.category, p.brand, ${INFERENCE.purchaseWeight} * l.quantity * ${decay('o.placed_at')} as w, l.quantity as units, 0 as views
    from ${customers} k join order_lines l on l.customer_id = k.customer_id join orders o on o.id = l.order_id join products p on p.id = l.product_id
    where o.status not in ('cancelled', 'returned') and o.placed_at > ?::timestamptz - interval '${INFERENCE.windowDays} days'
    union all
    select i.customer_id, p.id, p.category, p.brand, ${INFERENCE.viewWeight} * ${decay('i.occurred_at')}, 0, 1
    from ${customers} k join interactions i on i.customer_id = k.customer_id join products p on p.id = i.product_id
    where i.type = 'product_view' and i.occurred_at > ?::timestamptz - interval '${INFERENCE.windowDays} days'`;
}

/**
 * The personalisation gate, as a CTE body over `keys` (customer_id): the customer's status and
 * whether the consent in force grants PERSONALIZATION on ANY channel (a web-only grant does not
 * count: inferred data is shown wherever the graph is read, so only the general decision can allow it).
 */
export function personalizationGateSql(keys: string): string {
  return `
    select k.customer_id, c.status,
           (c.status = 'active' and rapport_consent_status(k.customer_id, 'personalization', 'any') = 'granted') as granted
    from ${keys} k join customers c on c.id = k.customer_id`;
}

export function unavailableReason(row: { status: string | null; granted: boolean | null }): PersonalizationUnavailableReason | null {
  if (row.status == null || row.status !== 'active') return PersonalizationUnavailableReason.CUSTOMER_NOT_ACTIVE;
  return row.granted ? null : PersonalizationUnavailableReason.NO_PERSONALIZATION_CONSENT;
}

export interface InferredItem {
  value: string;
  score: number;
  basis: PreferenceBasis;
  purchasedUnits: number;
  views: number;
}

export interface InferredResult {
  customerId: string;
  unavailableReason: PersonalizationUnavailableReason | null;
  categories: InferredItem[];
  brands: InferredItem[];
}

/**
 * Top categories and brands of many customers in ONE statement; computed only for customers whose
 * consent grants personalisation (the gate is in the SQL, so nothing is inferred for the others).
 */
export async function inferPreferences(em: EntityManager, customerIds: readonly string[], asOf = new Date()): Promise<InferredResult[]> {
  const rows: Array<{ customer_id: string; status: string | null; granted: boolean | null; kind: string | null; value: string | null; score: number | null; units: string | null; views: string | null }> =
    await em.execute(
      `with keys as (select distinct unnest(?::uuid[]) as customer_id),
       gate as (${personalizationGateSql('keys')}),
       ok as (select customer_id from gate where granted),
       signals as (${weightedSignalsSql('ok')}),
       agg as (
         select customer_id, 'category' as kind, category as value, sum(w) as score, sum(units) as units, sum(views) as views from signals group by customer_id, category
         union all
         select customer_id, 'brand', brand, sum(w), sum(units), sum(views) from signals where brand is not null group by customer_id, brand),
       ranked as (select a.*, row_number() over (partition by customer_id, kind order by score desc, value) as rn from agg a)
       select g.customer_id, g.status, g.granted, r.kind, r.value, r.score::float8 as score, r.units, r.views
       from gate g left join ranked r on r.customer_id = g.customer_id and r.rn <= ${INFERENCE.top}
       order by g.customer_id, r.kind, r.rn`,
      [uuidArray(customerIds), asOf, asOf, asOf, asOf],
    );
  const byCustomer = new Map<string, InferredResult>();
  for (const r of rows) {
    let result = byCustomer.get(r.customer_id);
    if (!result) byCustomer.set(r.customer_id, (result = { customerId: r.customer_id, unavailableReason: unavailableReason(r), categories: [], brands: [] }));
    if (!r.kind || result.unavailableReason) continue;
    const units = Number(r.units);
    const views = Number(r.views);
    const item: InferredItem = {
      value: r.value!, score: Number(r.score), purchasedUnits: units, views,
      basis: units > 0 && views > 0 ? PreferenceBasis.PURCHASES_AND_VIEWS : units > 0 ? PreferenceBasis.PURCHASES : PreferenceBasis.VIEWS,
    };
    (r.kind === 'category' ? result.categories : result.brands).push(item);
  }
  return customerIds.map((id) => byCustomer.get(id) ?? { customerId: id, unavailableReason: PersonalizationUnavailableReason.CUSTOMER_NOT_ACTIVE, categories: [], brands: [] });
}
