import { badInput } from '../errors/domain-error';
import { textArray } from './pagination';

/** PostgreSQL text cannot hold NUL; refusing it here gives a clear error instead of a database failure. */
export function rejectNul(value: string, field: string): void {
  if (value.includes('\u0000')) throw badInput(`${field} must not contain NUL characters`, field);
}

/** Trims a free-text field; empty becomes null; longer than `max` is bad input. */
export function cleanText(value: string | null | undefined, field: string, max = 200): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  rejectNul(value, field);
  const v = value.trim();
  if (v.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  return v === '' ? null : v;
}

export function requireText(value: string | null | undefined, field: string, max = 200): string {
  const v = cleanText(value, field, max);
  if (!v) throw badInput(`${field} is required`, field);
  return v;
}

export function checkLocale(locale: string | null | undefined): string | null | undefined {
  if (locale == null) return locale;
  try {
    const [canonical] = Intl.getCanonicalLocales(locale.trim());
    return canonical;
  } catch {
    throw badInput('locale is not a valid BCP 47 language tag', 'locale');
  }
}

/** Rejects JSON documents that are too large to be reasonable attributes. */
export function checkJsonSize(value: Record<string, unknown> | null | undefined, field: string, maxBytes = 16_384): void {
  if (value == null) return;
  if (jsonDepth(value) > MAX_JSON_DEPTH) throw badInput(`${field} may nest at most ${MAX_JSON_DEPTH} levels`, field);
  const json = JSON.stringify(value);
  // JSON.stringify writes NUL as \u0000, which jsonb refuses.
  if (json.includes('\\u0000')) throw badInput(`${field} must not contain NUL characters`, field);
  if (Buffer.byteLength(json, 'utf8') > maxBytes) throw badInput(`${field} must be at most ${maxBytes} bytes of JSON`, field);
}

/** Events stamped more than this far in the future are clock errors, not facts. */
const MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000;

export function checkNotFuture(at: Date, field: string): void {
  if (Number.isNaN(at.getTime())) throw badInput(`${field} is not a valid time`, field);
  if (at.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) throw badInput(`${field} is in the future`, field);
}

/** Serialises concurrent writers on the same business keys inside one transaction (sorted: no deadlocks). */
export function advisoryLockSql(keys: string[]): { sql: string; params: string[] } | null {
  if (!keys.length) return null;
  const sorted = [...new Set(keys)].sort();
  return {
    sql: `select pg_advisory_xact_lock(hashtextextended(k, 0)) from unnest(?::text[]) as k order by k`,
    params: [textArray(sorted)],
  };
}

export const MAX_INT4 = 2_147_483_647;

/** ISO 4217 codes are three upper-case letters; say so rather than just "invalid". */
export function checkCurrency(currency: string, field = 'currency'): void {
  if (/^[a-z]{3}$/.test(currency)) throw badInput(`${field} must be upper case (ISO 4217), e.g. "${currency.toUpperCase()}"`, field);
  if (!/^[A-Z]{3}$/.test(currency)) throw badInput(`${field} must be an ISO 4217 code such as EUR`, field);
}

const MAX_JSON_DEPTH = 32;

/** Depth of a JSON value, iteratively (a recursive walk is what deep input would overflow). */
function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v && typeof v === 'object') {
      if (d > max) max = d;
      if (max > MAX_JSON_DEPTH) return max;
      for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
    }
  }
  return max;
}
