import { ComparisonOp, LifecycleStage, MetricField, PreferenceSource, TraitOp, ValueTier } from './enums';
import { PreferenceKind } from '../entities/preference-enums';
import { ConsentChannel, ConsentPurpose, ConsentStatus, InteractionChannel, InteractionType } from '../entities/enums';

type EnumObject = Record<string, string>;

/** Which enum each enumerated value of a stored rule belongs to (key path → enum). */
const ENUMS: Record<string, EnumObject> = {
  'metric.field': MetricField, 'metric.op': ComparisonOp, valueTierIn: ValueTier, lifecycleStageIn: LifecycleStage,
  'consent.purpose': ConsentPurpose, 'consent.channel': ConsentChannel, 'consent.status': ConsentStatus,
  'interacted.channel': InteractionChannel, 'interacted.type': InteractionType,
  'trait.op': TraitOp, 'prefers.kind': PreferenceKind, 'prefers.source': PreferenceSource,
};

const nameOf = (e: EnumObject, v: unknown): unknown => (typeof v === 'string' ? (Object.keys(e).find((k) => e[k] === v) ?? v) : v);

/**
 * A stored rule (enum VALUES, as SQL compares them: `churn_risk`, `>=`) spelled as SegmentRuleInput
 * takes it (GraphQL enum NAMES: CHURN_RISK, GTE), so that the rule a segment returns can be sent back to
 * updateSegment unchanged.
 */
export function ruleForGraph(rule: unknown): unknown {
  if (Array.isArray(rule)) return rule.map(ruleForGraph);
  if (!rule || typeof rule !== 'object') return rule;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rule as Record<string, unknown>)) {
    if (k === 'all' || k === 'any' || k === 'not') out[k] = ruleForGraph(v);
    else if (ENUMS[k] && Array.isArray(v)) out[k] = v.map((x) => nameOf(ENUMS[k], x));
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([f, x]) => [f, ENUMS[`${k}.${f}`] ? nameOf(ENUMS[`${k}.${f}`], x) : x]));
    } else out[k] = v;
  }
  return out;
}
