import { badInput } from '../errors/domain-error';
import { PROFILING_OBJECTION, profilingObjectionSql } from '../auth/policy';
import { textArray } from '../services/pagination';
import { INFERENCE, weightedSignalsSql } from '../services/preferences.service';
import { ComparisonOp, LifecycleStage, MetricField, PreferenceSource, RFM_SEGMENTS, TraitOp, ValueTier } from './enums';
import { ConsentChannel, ConsentPurpose, ConsentStatus, InteractionChannel, InteractionType } from '../entities/enums';
import { ContactFrequency, PreferenceKind, PreferredChannel } from '../entities/preference-enums';

/**
 * The segment rule language: a tree of conditions over profile, metrics, consent, preferences and
 * behaviour, stored as jsonb and compiled to ONE SQL predicate over `customers a` joined to
 * `customer_metrics m`, so membership of every segment is evaluated set-based — over all customers
 * (analytics run, rule change) or over the few a write touched (real-time, see segments.service.ts).
 */
export interface SegmentRule {
  all?: SegmentRule[] | null;
  any?: SegmentRule[] | null;
  not?: SegmentRule | null;
  metric?: { field: MetricField; op: ComparisonOp; value: number } | null;
  rfmSegmentIn?: string[] | null;
  valueTierIn?: ValueTier[] | null;
  lifecycleStageIn?: LifecycleStage[] | null;
  consent?: { purpose: ConsentPurpose; channel?: ConsentChannel | null; status?: ConsentStatus | null } | null;
  bought?: ProductActivity & { minOrders?: number | null } | null;
  viewed?: ProductActivity & { minCount?: number | null } | null;
  interacted?: { channel?: InteractionChannel | null; type?: InteractionType | null; withinDays: number; minCount?: number | null } | null;
  country?: string[] | null;
  trait?: TraitCondition | null;
  prefers?: { kind: PreferenceKind; value: string; source?: PreferenceSource | null } | null;
}

interface ProductActivity {
  category?: string | null;
  brand?: string | null;
  sku?: string | null;
  withinDays: number;
}

/** A custom trait compared by type: exactly one of number, date, boolean, text, texts (none for EXISTS). */
export interface TraitCondition {
  key: string;
  op: TraitOp;
  number?: number | null;
  date?: string | Date | null;
  boolean?: boolean | null;
  text?: string | null;
  texts?: string[] | null;
}

/**
 * What a rule reads, so that a write re-evaluates only the segments it can change:
 * profile (country, traits), orders (bought, inferred preferences), interactions (interacted, viewed,
 * inferred preferences), consent (consent conditions, the PROFILING objection, the personalisation
 * gate), preferences (stated), metrics (customer_metrics: moves with the analytics run only).
 * Every rule also depends on the customer's status (a merged or erased customer leaves every segment).
 */
export type SegmentDependency = 'profile' | 'orders' | 'interactions' | 'consent' | 'preferences' | 'metrics';

/**
 * The trait keys a rule's `trait` conditions name (trimmed, as compiled), wherever they are nested; for the
 * permission layer (SEGMENT_TRAIT_FIELD), before the rule is validated: anything that is not a plain object
 * or array is skipped (the compiler refuses it after).
 */
export function traitKeysOf(rule: unknown, depth = 0): string[] {
  if (depth > 2 * MAX_DEPTH + 2 || rule == null || typeof rule !== 'object') return [];
  if (Array.isArray(rule)) return rule.flatMap((r) => traitKeysOf(r, depth + 1));
  const out: string[] = [];
  for (const [k, v] of Object.entries(rule as Record<string, unknown>)) {
    if (k === 'trait' && v && typeof v === 'object' && typeof (v as { key?: unknown }).key === 'string') out.push((v as { key: string }).key.trim());
    else out.push(...traitKeysOf(v, depth + 1));
  }
  return out;
}

const KEYS = ['all', 'any', 'not', 'metric', 'rfmSegmentIn', 'valueTierIn', 'lifecycleStageIn', 'consent', 'bought', 'viewed', 'interacted', 'country', 'trait', 'prefers'] as const;
const MAX_DEPTH = 8;
const MAX_NODES = 100;

export interface CompiledRule {
  sql: string;
  params: unknown[];
  /** The rule reads a model output (a model metric, value tier, lifecycle stage or inferred preference): PROFILING_OBJECTION applies. */
  usesModelOutputs: boolean;
  dependsOn: SegmentDependency[];
}

/**
 * How values reach the SQL. `bind`: `?` bind parameters (one evaluation, asOf given). `stored`: the
 * predicate kept in segments.predicate_sql for the real-time path, reading its values from a jsonb
 * array `$1` and the instant from `$2` (EXECUTE … USING in rapport_segments_refresh). Either way no
 * value is ever SQL text.
 */
interface Placeholders {
  val(value: unknown, cast: string): string;
  arr(values: readonly string[]): string;
  asOf(): string;
}

function bindPlaceholders(params: unknown[], asOf: Date): Placeholders {
  return {
    val: (v, cast) => (params.push(v), `?::${cast}`),
    arr: (values) => (params.push(textArray(values)), `?::text[]`),
    asOf: () => (params.push(asOf), `?::timestamptz`),
  };
}

function storedPlaceholders(params: unknown[]): Placeholders {
  return {
    val: (v, cast) => (params.push(v instanceof Date ? v.toISOString() : v), `(($1 ->> ${params.length - 1})::${cast})`),
    arr: (values) => (params.push([...values]), `array(select jsonb_array_elements_text($1 -> ${params.length - 1}))`),
    asOf: () => `$2`,
  };
}

const inList = <T extends string>(values: readonly T[], allowed: readonly string[], field: string): T[] => {
  if (!Array.isArray(values) || !values.length) throw badInput(`${field} needs at least one value`, field);
  for (const v of values) if (!allowed.includes(v)) throw badInput(`${field}: unknown value "${v}"`, field);
  return [...new Set(values)];
};

const text = (v: unknown, field: string, max = 100): string => {
  if (typeof v !== 'string' || !v.trim() || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) throw badInput(`${field} must be 1 to ${max} characters, without control characters`, field);
  return v.trim();
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function compile(rule: SegmentRule, ph: Placeholders): Omit<CompiledRule, 'params'> {
  let nodes = 0;
  let usesModelOutputs = false;
  const deps = new Set<SegmentDependency>();
  const days = (n: unknown, field: string) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 3650) throw badInput(`${field} must be 1 to 3650 days`, field);
    return `(${ph.asOf()} - make_interval(days => ${ph.val(n, 'int')}))`;
  };
  const count = (n: number | null | undefined, max: number, field: string) => {
    const min = n ?? 1;
    if (!Number.isInteger(min) || min < 1 || min > max) throw badInput(`${field} must be 1 to ${max}`, field);
    return ph.val(min, 'int');
  };
  /** category / brand / sku conditions on products `p`, each a bind parameter. */
  const productConds = (x: ProductActivity, path: string): string[] => {
    const conds: string[] = [];
    for (const [k, col] of [['category', 'p.category'], ['brand', 'p.brand'], ['sku', 'p.sku']] as const) {
      const v = x[k];
      if (v != null) conds.push(`${col} = ${ph.val(k === 'category' ? text(v, `${path}.${k}`).toLowerCase() : text(v, `${path}.${k}`), 'text')}`);
    }
    return conds;
  };
  const walk = (r: SegmentRule, path: string, depth: number): string => {
    if (++nodes > MAX_NODES) throw badInput(`a rule has at most ${MAX_NODES} conditions`, 'rule');
    if (depth > MAX_DEPTH) throw badInput(`rules nest at most ${MAX_DEPTH} deep`, path);
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw badInput(`${path} must be an object`, path);
    const unknown = Object.keys(r).filter((k) => (r as Record<string, unknown>)[k] != null && !(KEYS as readonly string[]).includes(k));
    if (unknown.length) throw badInput(`${path}.${unknown[0]} is not a condition (known: ${KEYS.join(', ')})`, `${path}.${unknown[0]}`);
    const present = KEYS.filter((k) => r[k] != null);
    if (present.length !== 1) throw badInput(`${path} must have exactly one of ${KEYS.join(', ')}`, path);
    const key = present[0];
    const at = `${path}.${key}`;
    switch (key) {
      case 'all':
      case 'any': {
        const list = r[key]!;
        if (!Array.isArray(list) || !list.length) throw badInput(`${at} needs at least one rule`, at);
        return `(${list.map((c, i) => walk(c, `${at}[${i}]`, depth + 1)).join(key === 'all' ? ' and ' : ' or ')})`;
      }
      case 'not':
        return `not coalesce(${walk(r.not!, at, depth + 1)}, false)`;
      case 'metric': {
        const { field, op, value } = r.metric!;
        if (!Object.values(MetricField).includes(field)) throw badInput(`${at}.field is unknown`, `${at}.field`);
        if (!Object.values(ComparisonOp).includes(op)) throw badInput(`${at}.op is unknown`, `${at}.op`);
        if (typeof value !== 'number' || !Number.isFinite(value)) throw badInput(`${at}.value must be a finite number`, `${at}.value`);
        deps.add('metrics');
        if (PROFILING_OBJECTION.modelColumns.includes(field)) usesModelOutputs = true;
        return `coalesce(m.${field} ${op} ${ph.val(value, 'float8')}, false)`;
      }
      case 'rfmSegmentIn':
        deps.add('metrics');
        return `m.rfm_segment = any(${ph.arr(inList(r.rfmSegmentIn!, RFM_SEGMENTS, at))})`;
      case 'valueTierIn':
        deps.add('metrics');
        usesModelOutputs = true;
        return `m.value_tier = any(${ph.arr(inList(r.valueTierIn!, Object.values(ValueTier), at))})`;
      case 'lifecycleStageIn':
        deps.add('metrics');
        usesModelOutputs = true;
        return `m.lifecycle_stage = any(${ph.arr(inList(r.lifecycleStageIn!, Object.values(LifecycleStage), at))})`;
      case 'country': {
        if (!Array.isArray(r.country)) throw badInput(`${at} must be a list`, at);
        const codes = r.country.map((c) => String(c).trim().toUpperCase());
        codes.forEach((c, i) => {
          if (!/^[A-Z]{2}$/.test(c)) throw badInput(`${at}[${i}]: "${c}" is not an ISO 3166-1 alpha-2 code`, `${at}[${i}]`);
        });
        deps.add('profile');
        return `(a.address ->> 'country') = any(${ph.arr(inList(codes, codes, at))})`;
      }
      case 'consent': {
        const c = r.consent!;
        if (!Object.values(ConsentPurpose).includes(c.purpose)) throw badInput(`${at}.purpose is unknown`, `${at}.purpose`);
        if (c.channel != null && !Object.values(ConsentChannel).includes(c.channel)) throw badInput(`${at}.channel is unknown`, `${at}.channel`);
        if (c.status != null && !Object.values(ConsentStatus).includes(c.status)) throw badInput(`${at}.status is unknown`, `${at}.status`);
        deps.add('consent');
        return `rapport_consent_status(a.id, ${ph.val(c.purpose, 'text')}, ${ph.val(c.channel ?? ConsentChannel.ANY, 'text')}) = ${ph.val(c.status ?? ConsentStatus.GRANTED, 'text')}`;
      }
      case 'bought': {
        const b = r.bought!;
        deps.add('orders');
        // An as-of run ignores what happened after asOf.
        const conds = ['o.customer_id = a.id', `o.status not in ('cancelled', 'returned')`, `o.placed_at > ${days(b.withinDays, `${at}.withinDays`)}`, `o.placed_at <= ${ph.asOf()}`, ...productConds(b, at)];
        return `(select count(distinct o.id) from orders o join order_lines l on l.order_id = o.id join products p on p.id = l.product_id where ${conds.join(' and ')}) >= ${count(b.minOrders, 10_000, `${at}.minOrders`)}`;
      }
      case 'viewed': {
        const v = r.viewed!;
        deps.add('interactions');
        const conds = ['n.customer_id = a.id', `n.type = '${InteractionType.PRODUCT_VIEW}'`, `n.occurred_at > ${days(v.withinDays, `${at}.withinDays`)}`, `n.occurred_at <= ${ph.asOf()}`, ...productConds(v, at)];
        return `(select count(*) from interactions n join products p on p.id = n.product_id where ${conds.join(' and ')}) >= ${count(v.minCount, 100_000, `${at}.minCount`)}`;
      }
      case 'interacted': {
        const x = r.interacted!;
        deps.add('interactions');
        const conds = ['n.customer_id = a.id', `n.occurred_at > ${days(x.withinDays, `${at}.withinDays`)}`, `n.occurred_at <= ${ph.asOf()}`];
        if (x.channel != null) {
          if (!Object.values(InteractionChannel).includes(x.channel)) throw badInput(`${at}.channel is unknown`, `${at}.channel`);
          conds.push(`n.channel = ${ph.val(x.channel, 'text')}`);
        }
        if (x.type != null) {
          if (!Object.values(InteractionType).includes(x.type)) throw badInput(`${at}.type is unknown`, `${at}.type`);
          conds.push(`n.type = ${ph.val(x.type, 'text')}`);
        }
        return `(select count(*) from interactions n where ${conds.join(' and ')}) >= ${count(x.minCount, 100_000, `${at}.minCount`)}`;
      }
      case 'trait':
        deps.add('profile');
        return traitSql(r.trait!, at, ph);
      case 'prefers': {
        const p = r.prefers!;
        if (!Object.values(PreferenceKind).includes(p.kind)) throw badInput(`${at}.kind is unknown`, `${at}.kind`);
        const source = p.source ?? PreferenceSource.STATED;
        if (!Object.values(PreferenceSource).includes(source)) throw badInput(`${at}.source is unknown`, `${at}.source`);
        let value = text(p.value, `${at}.value`).replace(/\s+/g, ' ');
        if (p.kind === PreferenceKind.CATEGORY || p.kind === PreferenceKind.CHANNEL || p.kind === PreferenceKind.CONTACT_FREQUENCY) value = value.toLowerCase();
        if (p.kind === PreferenceKind.CHANNEL && !Object.values(PreferredChannel).includes(value as PreferredChannel)) throw badInput(`${at}.value must be one of ${Object.values(PreferredChannel).join(', ')}`, `${at}.value`);
        if (p.kind === PreferenceKind.CONTACT_FREQUENCY && !Object.values(ContactFrequency).includes(value as ContactFrequency)) throw badInput(`${at}.value must be one of ${Object.values(ContactFrequency).join(', ')}`, `${at}.value`);
        const inferable = p.kind === PreferenceKind.CATEGORY || p.kind === PreferenceKind.BRAND;
        if (source === PreferenceSource.INFERRED && !inferable) throw badInput(`${at}.source: only CATEGORY and BRAND preferences are inferred`, `${at}.source`);
        const parts: string[] = [];
        if (source !== PreferenceSource.INFERRED) {
          deps.add('preferences');
          parts.push(`exists (select 1 from customer_preferences cp where cp.customer_id = a.id and cp.kind = ${ph.val(p.kind, 'text')} and lower(cp.value) = lower(${ph.val(value, 'text')}))`);
        }
        if (source !== PreferenceSource.STATED && inferable) {
          // As preferences.service infers them: the top INFERENCE.top by decayed purchase and view weight,
          // only with PERSONALIZATION consent on ANY channel. Inferring tastes is profiling as well.
          deps.add('orders').add('interactions').add('consent');
          usesModelOutputs = true;
          const col = p.kind === PreferenceKind.CATEGORY ? 'category' : 'brand';
          // Placeholders in textual order: the value first, then the signals' instants.
          const wanted = ph.val(value, 'text');
          const signals = weightedSignalsSql('(select a.id as customer_id)').split('?::timestamptz');
          const sql = signals.slice(1).reduce((acc, part) => `${acc}${ph.asOf()}${part}`, signals[0]);
          parts.push(`(rapport_consent_status(a.id, 'personalization', 'any') = 'granted' and lower(${wanted}) in (
            select lower(s.${col}) from (${sql}) s where s.${col} is not null group by s.${col} order by sum(s.w) desc, s.${col} limit ${INFERENCE.top}))`);
        }
        return `(${parts.join(' or ')})`;
      }
    }
  };
  const body = walk(rule, 'rule', 0);
  if (usesModelOutputs) deps.add('consent');
  // Whatever the rule's logic (a `not` around a model condition included), objectors are not targeted by model outputs.
  const sql = usesModelOutputs ? `(${body} and not ${profilingObjectionSql('a.id')})` : body;
  return { sql, usesModelOutputs, dependsOn: [...deps].sort() };
}

function traitSql(t: TraitCondition, at: string, ph: Placeholders): string {
  const key = text(t.key, `${at}.key`);
  if (!Object.values(TraitOp).includes(t.op)) throw badInput(`${at}.op is unknown`, `${at}.op`);
  const given = (['number', 'date', 'boolean', 'text', 'texts'] as const).filter((k) => t[k] != null);
  const k = () => ph.val(key, 'text');
  if (t.op === TraitOp.EXISTS) {
    if (given.length) throw badInput(`${at}: EXISTS takes no value (${given[0]} given)`, `${at}.${given[0]}`);
    return `coalesce(jsonb_typeof(a.traits -> ${k()}), 'null') <> 'null'`;
  }
  if (given.length !== 1) throw badInput(`${at} needs exactly one of number, date, boolean, text, texts`, at);
  const type = given[0];
  const allowed: Record<typeof type, TraitOp[]> = {
    number: [TraitOp.EQ, TraitOp.NEQ, TraitOp.LT, TraitOp.LTE, TraitOp.GT, TraitOp.GTE],
    date: [TraitOp.EQ, TraitOp.NEQ, TraitOp.LT, TraitOp.LTE, TraitOp.GT, TraitOp.GTE],
    boolean: [TraitOp.EQ, TraitOp.NEQ],
    text: [TraitOp.EQ, TraitOp.NEQ, TraitOp.CONTAINS],
    texts: [TraitOp.IN],
  };
  if (!allowed[type].includes(t.op)) {
    const name = Object.keys(TraitOp).find((n) => TraitOp[n as keyof typeof TraitOp] === t.op);
    throw badInput(`${at}.op: ${name} does not apply to ${type} (use ${allowed[type].map((o) => Object.keys(TraitOp).find((n) => TraitOp[n as keyof typeof TraitOp] === o)).join(', ')})`, `${at}.op`);
  }
  // A trait of another JSON type than the one compared never matches (no implicit casts).
  const typed = (jsonType: string, expr: string) => `(case when jsonb_typeof(a.traits -> ${k()}) = '${jsonType}' then ${expr} end)`;
  switch (type) {
    case 'number': {
      if (typeof t.number !== 'number' || !Number.isFinite(t.number)) throw badInput(`${at}.number must be a finite number`, `${at}.number`);
      return `coalesce(${typed('number', `(a.traits ->> ${k()})::numeric`)} ${t.op} ${ph.val(t.number, 'numeric')}, false)`;
    }
    case 'date': {
      const d = t.date instanceof Date ? t.date : typeof t.date === 'string' && ISO_DATE.test(t.date) ? new Date(t.date.length === 10 ? `${t.date}T00:00:00Z` : t.date) : null;
      if (!d || Number.isNaN(d.getTime())) throw badInput(`${at}.date must be an ISO 8601 date or date-time`, `${at}.date`);
      return `coalesce(${typed('string', `rapport_try_timestamptz(a.traits ->> ${k()})`)} ${t.op} ${ph.val(d, 'timestamptz')}, false)`;
    }
    case 'boolean':
      if (typeof t.boolean !== 'boolean') throw badInput(`${at}.boolean must be true or false`, `${at}.boolean`);
      return `coalesce(${typed('boolean', `(a.traits ->> ${k()})::boolean`)} ${t.op} ${ph.val(t.boolean, 'boolean')}, false)`;
    case 'text': {
      const v = typeof t.text === 'string' && t.text.length <= 200 && !t.text.includes('\u0000') ? t.text : null;
      if (v == null || (t.op === TraitOp.CONTAINS && !v)) throw badInput(`${at}.text must be at most 200 characters${t.op === TraitOp.CONTAINS ? ', not empty' : ''}`, `${at}.text`);
      if (t.op === TraitOp.CONTAINS) return `coalesce(strpos(lower(${typed('string', `a.traits ->> ${k()}`)}), lower(${ph.val(v, 'text')})) > 0, false)`;
      return `coalesce(${typed('string', `a.traits ->> ${k()}`)} ${t.op} ${ph.val(v, 'text')}, false)`;
    }
    case 'texts': {
      const list = t.texts!;
      if (!Array.isArray(list) || !list.length || list.length > 100) throw badInput(`${at}.texts needs 1 to 100 values`, `${at}.texts`);
      list.forEach((v, i) => {
        if (typeof v !== 'string' || v.length > 200 || v.includes('\u0000')) throw badInput(`${at}.texts[${i}] must be at most 200 characters`, `${at}.texts[${i}]`);
      });
      return `coalesce(${typed('string', `a.traits ->> ${k()}`)} = any(${ph.arr([...new Set(list)])}), false)`;
    }
  }
}

/** Validates and compiles a rule for one evaluation at `asOf`; every value becomes a bind parameter, never SQL text. */
export function compileSegmentRule(rule: SegmentRule, asOf: Date = new Date()): CompiledRule {
  const params: unknown[] = [];
  const compiled = compile(rule, bindPlaceholders(params, asOf));
  return { ...compiled, params };
}

/**
 * The rule as kept for real-time evaluation (segments.predicate_sql, predicate_params, depends_on):
 * the same predicate, values in a jsonb array ($1), the instant as $2.
 */
export function compileStoredPredicate(rule: SegmentRule): CompiledRule {
  const params: unknown[] = [];
  const compiled = compile(rule, storedPlaceholders(params));
  return { ...compiled, params };
}

/** Drops absent keys so the stored jsonb is canonical (dates as ISO strings). */
export function canonicalRule(rule: SegmentRule): SegmentRule {
  return JSON.parse(JSON.stringify(rule, (_k, v) => (v === null ? undefined : v)));
}
