/**
 * The one order in which concurrent writers take locks on event keys: PostgreSQL's "C" collation,
 * which compares UTF-8 bytes, i.e. Unicode code points. The core sorts its key claims in SQL with
 * `collate "C"` and the import's fast path sorts its COPY rows in JavaScript with `byCodePoint`, so two
 * writers of overlapping keys lock them in the same order whatever the database's default collation
 * (a locale-aware collation such as en_US orders 'a' before 'B'; JavaScript's `<` orders by UTF-16 code
 * units, which puts U+10000… before U+E000…): one then waits on the other instead of deadlocking.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 code unit's place in code point order: surrogates (U+D800–DFFF, halves of U+10000…) sort after U+E000–FFFF. */
const rank = (u: number): number => (u < 0xd800 ? u : u < 0xe000 ? u + 0x2000 : u - 0x800);
