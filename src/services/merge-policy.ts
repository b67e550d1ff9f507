import { IdentityKind } from '../entities/enums';

/**
 * Which identifiers may join two profiles on their own, how many of a kind a profile may hold, which
 * values are junk, and whose values win on a merge. Read from MERGE_POLICY (JSON) by config.ts; each
 * key given there replaces the default below (README "Identity resolution and merges").
 */
export interface MergePolicy {
  /** Identifier kinds that, shared by two customers on a write, merge them without an agent. */
  autoMergeKinds: IdentityKind[];
  /** Most identifiers of a kind one customer may hold per namespace; a merge or write exceeding it is refused. */
  limits: Partial<Record<IdentityKind, number>>;
  /**
   * Junk values per kind, compared with the normalised value (lower case; `*` matches any run of
   * characters). They are never stored as identities and never used for matching.
   */
  blocklist: Partial<Record<IdentityKind, string[]>>;
  /** Sources in decreasing order of trust for survivorship; sources not listed rank below all listed ones. */
  sourcePriority: string[];
}

export const DEFAULT_MERGE_POLICY: Readonly<MergePolicy> = Object.freeze({
  // A device is shared (family tablet, shop kiosk) and an external id's meaning varies by partner:
  // both need an agent to join two people.
  autoMergeKinds: [IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.CRM_ID, IdentityKind.LOYALTY_CARD],
  limits: { [IdentityKind.CRM_ID]: 1 },
  blocklist: {
    [IdentityKind.EMAIL]: ['test@test.com', 'test@example.com', 'noreply@*', 'no-reply@*', 'donotreply@*', 'do-not-reply@*', 'none@*', 'null@*', 'unknown@*'],
    [IdentityKind.PHONE]: ['+10000000000', '+11111111111', '+12345678900', '+33600000000', '+440000000000'],
  },
  sourcePriority: [],
});

const KINDS = new Set<string>(Object.values(IdentityKind));
const KEYS = new Set(['autoMergeKinds', 'limits', 'blocklist', 'sourcePriority']);

/** Parses and validates MERGE_POLICY; throws with a message naming the bad key. Unset: the defaults. */
export function parseMergePolicy(raw: string | undefined): MergePolicy {
  const base: MergePolicy = {
    autoMergeKinds: [...DEFAULT_MERGE_POLICY.autoMergeKinds],
    limits: { ...DEFAULT_MERGE_POLICY.limits },
    blocklist: Object.fromEntries(Object.entries(DEFAULT_MERGE_POLICY.blocklist).map(([k, v]) => [k, [...v]])),
    sourcePriority: [...DEFAULT_MERGE_POLICY.sourcePriority],
  };
  if (raw === undefined || raw.trim() === '') return base;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('MERGE_POLICY must be a JSON object');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('MERGE_POLICY must be a JSON object');
  const o = json as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.has(key)) throw new Error(`MERGE_POLICY has an unknown key "${key}" (known: ${[...KEYS].join(', ')})`);
  const kind = (k: unknown, where: string): IdentityKind => {
    if (typeof k !== 'string' || !KINDS.has(k)) throw new Error(`MERGE_POLICY.${where}: "${String(k)}" is not an identifier kind (${[...KINDS].join(', ')})`);
    return k as IdentityKind;
  };
  if (o.autoMergeKinds !== undefined) {
    if (!Array.isArray(o.autoMergeKinds)) throw new Error('MERGE_POLICY.autoMergeKinds must be an array of identifier kinds');
    base.autoMergeKinds = [...new Set(o.autoMergeKinds.map((k) => kind(k, 'autoMergeKinds')))];
  }
  if (o.limits !== undefined) {
    if (!o.limits || typeof o.limits !== 'object' || Array.isArray(o.limits)) throw new Error('MERGE_POLICY.limits must be an object of kind → positive integer');
    base.limits = {};
    for (const [k, n] of Object.entries(o.limits)) {
      if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 1000) throw new Error(`MERGE_POLICY.limits.${k} must be an integer from 1 to 1000`);
      base.limits[kind(k, 'limits')] = n as number;
    }
  }
  if (o.blocklist !== undefined) {
    if (!o.blocklist || typeof o.blocklist !== 'object' || Array.isArray(o.blocklist)) throw new Error('MERGE_POLICY.blocklist must be an object of kind → array of values');
    base.blocklist = {};
    for (const [k, list] of Object.entries(o.blocklist)) {
      if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v.trim() === '' || v.length > 254)) {
        throw new Error(`MERGE_POLICY.blocklist.${k} must be an array of non-empty strings`);
      }
      base.blocklist[kind(k, 'blocklist')] = list.map((v: string) => v.trim().toLowerCase());
    }
  }
  if (o.sourcePriority !== undefined) {
    if (!Array.isArray(o.sourcePriority) || o.sourcePriority.some((s) => typeof s !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(s))) {
      throw new Error('MERGE_POLICY.sourcePriority must be an array of source names (1 to 64 visible characters)');
    }
    base.sourcePriority = [...new Set(o.sourcePriority as string[])];
  }
  return base;
}

const patternCache = new WeakMap<string[], RegExp[]>();

function patterns(list: string[]): RegExp[] {
  let compiled = patternCache.get(list);
  if (!compiled) {
    compiled = list.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
    patternCache.set(list, compiled);
  }
  return compiled;
}

/** True when `value` (normalised) is a junk value of this kind under the policy. */
export function isBlocklisted(policy: MergePolicy, kind: IdentityKind, value: string): boolean {
  const list = policy.blocklist[kind];
  if (!list?.length) return false;
  const v = value.trim().toLowerCase();
  return patterns(list).some((re) => re.test(v));
}

/** Rank of a source for survivorship: lower is more trusted; unlisted sources share the last rank. */
export function sourceRank(policy: MergePolicy, source: string | null | undefined): number {
  const i = source ? policy.sourcePriority.indexOf(source) : -1;
  return i < 0 ? policy.sourcePriority.length : i;
}
