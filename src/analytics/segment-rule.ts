import { badInput } from '../errors/domain-error';
import { PROFILING_OBJECTION, profilingObjectionSql } from '../auth/policy';
import { textArray } from '../services/pagination';
import { ComparisonOp, LifecycleStage, MetricField, RFM_SEGMENTS, ValueTier } from './enums';
import { ConsentChannel, ConsentPurpose, ConsentStatus, InteractionChannel, InteractionType } from '../entities/enums';

/**
 * The segment rule language: a tree of conditions over profile, metrics, consent and behaviour,
 * stored as jsonb and compiled to ONE SQL predicate over `customers a` joined to `customer_metrics m`,
 * so membership of every segment is evaluated set-based.
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
  bought?: { category?: string | null; brand?: string | null; sku?: string | null; withinDays: number; minOrders?: number | null } | null;
  interacted?: { channel?: InteractionChannel | null; type?: InteractionType | null; withinDays: number; minCount?: number | null } | null;
  country?: string[] | null;
}

const KEYS = ['all', 'any', 'not', 'metric', 'rfmSegmentIn', 'valueTierIn', 'lifecycleStageIn', 'consent', 'bought', 'interacted', 'country'] as const;
const MAX_DEPTH = 8;
const MAX_NODES = 100;

export interface CompiledRule {
  sql: string;
  params: unknown[];
  /** The rule reads a model output (a model metric, value tier or lifecycle stage): PROFILING_OBJECTION applies. */
  usesModelOutputs: boolean;
}

const inList = <T extends string>(values: readonly T[], allowed: readonly string[], field: string): T[] => {
  if (!values.length) throw badInput(`${field} needs at least one value`, field);
  for (const v of values) if (!allowed.includes(v)) throw badInput(`${field}: unknown value "${v}"`, field);
  return [...new Set(values)];
};

/** Validates and compiles a rule; every value becomes a bind parameter, never SQL text. */
export function compileSegmentRule(rule: SegmentRule, asOf: Date = new Date()): CompiledRule {
  const params: unknown[] = [];
  let nodes = 0;
  let usesModelOutputs = false;
  const days = (n: number, field: string) => {
    if (!Number.isInteger(n) || n < 1 || n > 3650) throw badInput(`${field} must be 1 to 3650 days`, field);
    params.push(asOf, n);
    return `(?::timestamptz - make_interval(days => ?))`;
  };
  const walk = (r: SegmentRule, path: string, depth: number): string => {
    if (++nodes > MAX_NODES) throw badInput(`a rule has at most ${MAX_NODES} conditions`, 'rule');
    if (depth > MAX_DEPTH) throw badInput(`rules nest at most ${MAX_DEPTH} deep`, path);
    const present = KEYS.filter((k) => r[k] != null);
    if (present.length !== 1) throw badInput(`${path} must have exactly one of ${KEYS.join(', ')}`, path);
    const key = present[0];
    switch (key) {
      case 'all':
      case 'any': {
        const list = r[key]!;
        if (!list.length) throw badInput(`${path}.${key} needs at least one rule`, `${path}.${key}`);
        return `(${list.map((c, i) => walk(c, `${path}.${key}[${i}]`, depth + 1)).join(key === 'all' ? ' and ' : ' or ')})`;
      }
      case 'not':
        return `not coalesce(${walk(r.not!, `${path}.not`, depth + 1)}, false)`;
      case 'metric': {
        const { field, op, value } = r.metric!;
        if (!Object.values(MetricField).includes(field)) throw badInput(`${path}.metric.field is unknown`, `${path}.metric.field`);
        if (!Object.values(ComparisonOp).includes(op)) throw badInput(`${path}.metric.op is unknown`, `${path}.metric.op`);
        if (!Number.isFinite(value)) throw badInput(`${path}.metric.value must be a finite number`, `${path}.metric.value`);
        params.push(value);
        if (PROFILING_OBJECTION.modelColumns.includes(field)) usesModelOutputs = true;
        return `coalesce(m.${field} ${op} ?, false)`;
      }
      case 'rfmSegmentIn':
        params.push(textArray(inList(r.rfmSegmentIn!, RFM_SEGMENTS, `${path}.rfmSegmentIn`)));
        return `m.rfm_segment = any(?::text[])`;
      case 'valueTierIn':
        usesModelOutputs = true;
        params.push(textArray(inList(r.valueTierIn!, Object.values(ValueTier), `${path}.valueTierIn`)));
        return `m.value_tier = any(?::text[])`;
      case 'lifecycleStageIn':
        usesModelOutputs = true;
        params.push(textArray(inList(r.lifecycleStageIn!, Object.values(LifecycleStage), `${path}.lifecycleStageIn`)));
        return `m.lifecycle_stage = any(?::text[])`;
      case 'country': {
        const codes = r.country!.map((c) => c.trim().toUpperCase());
        for (const c of codes) if (!/^[A-Z]{2}$/.test(c)) throw badInput(`${path}.country: "${c}" is not an ISO 3166-1 alpha-2 code`, `${path}.country`);
        params.push(textArray(inList(codes, codes, `${path}.country`)));
        return `(a.address ->> 'country') = any(?::text[])`;
      }
      case 'consent': {
        const c = r.consent!;
        params.push(c.purpose, c.channel ?? ConsentChannel.ANY, c.status ?? ConsentStatus.GRANTED);
        return `rapport_consent_status(a.id, ?, ?) = ?`;
      }
      case 'bought': {
        const b = r.bought!;
        const conds = ['o.customer_id = a.id', `o.status not in ('cancelled', 'returned')`, `o.placed_at > ${days(b.withinDays, `${path}.bought.withinDays`)}`];
        // An as-of run ignores what happened after asOf.
        conds.push('o.placed_at <= ?');
        params.push(asOf);
        for (const [k, col] of [['category', 'p.category'], ['brand', 'p.brand'], ['sku', 'p.sku']] as const) {
          const v = b[k];
          if (v != null) {
            if (!v.trim() || v.length > 100) throw badInput(`${path}.bought.${k} must be 1 to 100 characters`, `${path}.bought.${k}`);
            conds.push(`${col} = ?`);
            params.push(k === 'category' ? v.trim().toLowerCase() : v.trim());
          }
        }
        const min = b.minOrders ?? 1;
        if (!Number.isInteger(min) || min < 1 || min > 10_000) throw badInput(`${path}.bought.minOrders must be 1 to 10000`, `${path}.bought.minOrders`);
        params.push(min);
        return `(select count(distinct o.id) from orders o join order_lines l on l.order_id = o.id join products p on p.id = l.product_id where ${conds.join(' and ')}) >= ?`;
      }
      case 'interacted': {
        const x = r.interacted!;
        const conds = ['n.customer_id = a.id', `n.occurred_at > ${days(x.withinDays, `${path}.interacted.withinDays`)}`, 'n.occurred_at <= ?'];
        params.push(asOf);
        if (x.channel) {
          conds.push('n.channel = ?');
          params.push(x.channel);
        }
        if (x.type) {
          conds.push('n.type = ?');
          params.push(x.type);
        }
        const min = x.minCount ?? 1;
        if (!Number.isInteger(min) || min < 1 || min > 100_000) throw badInput(`${path}.interacted.minCount must be 1 to 100000`, `${path}.interacted.minCount`);
        params.push(min);
        return `(select count(*) from interactions n where ${conds.join(' and ')}) >= ?`;
      }
    }
  };
  const body = walk(rule, 'rule', 0);
  // Whatever the rule's logic (a `not` around a model condition included), objectors are not targeted by model outputs.
  const sql = usesModelOutputs ? `(${body} and not ${profilingObjectionSql('a.id')})` : body;
  return { sql, params, usesModelOutputs };
}

/** Drops absent keys so the stored jsonb is canonical. */
export function canonicalRule(rule: SegmentRule): SegmentRule {
  return JSON.parse(JSON.stringify(rule, (_k, v) => (v === null ? undefined : v)));
}
