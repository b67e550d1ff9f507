import { badInput } from '../errors/domain-error';

/** A keyset position: the sort value and the id of the last row seen. Opaque to clients. */
export interface Cursor {
  v: string | number | null;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string | null | undefined): Cursor | null {
  if (raw == null) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' &&
      (parsed[0] === null || typeof parsed[0] === 'string' || typeof parsed[0] === 'number') &&
      /^[0-9a-f-]{36}$/.test(parsed[1])
    ) {
      return { v: parsed[0], id: parsed[1] };
    }
  } catch {
    /* fall through */
  }
  throw badInput('after is not a cursor returned by this connection', 'after');
}

/** Validates `first` against the configured cap; connections never return unbounded lists. */
export function checkFirst(first: number, max: number): number {
  if (!Number.isInteger(first) || first < 0 || first > max) {
    throw badInput(`first must be between 0 and ${max}`, 'first');
  }
  return first;
}

/** A Postgres array literal of UUIDs for `= any(?::uuid[])` / `unnest(?::uuid[])`: one bind parameter whatever the length. */
export function uuidArray(ids: readonly string[]): string {
  for (const id of ids) if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a uuid: ${id}`);
  return `{${ids.join(',')}}`;
}

export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
