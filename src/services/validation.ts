import { badInput } from '../errors/domain-error';

/** Trims a free-text field; empty becomes null; longer than `max` is bad input. */
export function cleanText(value: string | null | undefined, field: string, max = 200): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
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
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > maxBytes) throw badInput(`${field} must be at most ${maxBytes} bytes of JSON`, field);
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
    params: [`{${sorted.map((k) => `"${k.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`],
  };
}
