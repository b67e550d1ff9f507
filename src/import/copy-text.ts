const SPECIAL = /[\\\n\r\t]/;

/** COPY text format (the fast path's COPY, fast-path.ts): backslash, newline, CR and tab escaped; NULL is \N. */
export function esc(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t')) : v;
}
