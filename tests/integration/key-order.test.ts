import { Client } from 'pg';
import { ADMIN_URL_DEFAULT } from '../helpers/pg';
import { byCodePoint } from '../../src/ingestion/key-order';

// The ingestion core sorts its key claims in SQL (`collate "C"`), the import's fast path sorts its COPY
// rows in JavaScript (`byCodePoint`): both must give the same order, or two writers of overlapping keys
// lock them in opposite orders and deadlock. Compared here on the real server, with keys where the
// usual orders disagree: case (a locale-aware collation puts 'a' before 'B'), accents, and characters
// beyond U+FFFF (UTF-16 code units put them before U+E000…FFFF; code points after).
const KEYS = [
  'a', 'B', 'b', 'A', 'é', 'e', 'z', 'Z', '', 'a-1', 'a_1', 'a1', 'a10', 'a2', ' ', '~',
  '\uE000', '\uFFFD', '\u{1F600}', '\u{10000}', 'x\u{1F600}', 'x\uFFFD', 'x', 'xx', '日本', '日', 'Ω', 'ω',
];

let sql: Client;
beforeAll(async () => {
  sql = new Client({ connectionString: process.env.TEST_DATABASE_URL ?? ADMIN_URL_DEFAULT });
  await sql.connect();
});
afterAll(() => sql.end());

async function sortedBy(collation: string): Promise<string[]> {
  const { rows } = await sql.query<{ k: string }>(`select k from unnest($1::text[]) k order by k collate "${collation}"`, [KEYS]);
  return rows.map((r) => r.k);
}

test('byCodePoint orders keys as PostgreSQL\'s "C" collation does', async () => {
  const js = [...KEYS].sort(byCodePoint);
  expect(js).toEqual(await sortedBy('C'));
  // Not a tautology of the data: JavaScript's default sort (UTF-16 code units) disagrees here…
  expect([...KEYS].sort()).not.toEqual(js);
  expect(['\uFFFD', '\u{1F600}'].sort()).toEqual(['\u{1F600}', '\uFFFD']);
  expect(['\uFFFD', '\u{1F600}'].sort(byCodePoint)).toEqual(['\uFFFD', '\u{1F600}']);
});

test('a locale-aware collation orders the same keys differently, so the core names its collation', async () => {
  const icu = await sql.query(`select 1 from pg_collation where collname = 'en-US-x-icu'`);
  if (!icu.rowCount) return; // a server built without ICU: nothing to contrast with
  expect(await sortedBy('en-US-x-icu')).not.toEqual(await sortedBy('C'));
});

test('tuples: source first, then key', () => {
  const rows = [['s2', 'a'], ['s1', 'b'], ['s1', 'B'], ['s1', '\u{1F600}'], ['s1', '\uFFFD']];
  rows.sort((x, y) => byCodePoint(x[0], y[0]) || byCodePoint(x[1], y[1]));
  expect(rows).toEqual([['s1', 'B'], ['s1', 'b'], ['s1', '\uFFFD'], ['s1', '\u{1F600}'], ['s2', 'a']]);
});
