import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { Customer } from '../../src/entities/customer.entity';
import { checkFirst, decodeCursor, encodeCursor, keysetPage, newestFirstPage, textArray, uuidArray, type Cursor, type KeysetQuery } from '../../src/services/pagination';

/**
 * src/services/pagination.ts on its own (the `pagination` mutation scope): cursors and their forgeries,
 * `first`'s bounds, the array literals bound as one parameter, and keyset pages over real rows, with
 * sort keys tied on purpose (the tie-breaker is the id, in the page's direction), a join, an
 * expression as the sort key, and the count.
 */
let app: TestApp;
let em: EntityManager;
const TAG = `pg-${Date.now().toString(36)}`;
const ids: string[] = [];
const emails = new Map<string, string>();

beforeAll(async () => {
  app = await startTestApp();
  em = app.orm.em.fork() as EntityManager;
  // Seven customers sharing one created_at (the sort key), and their e-mails in an order of their own.
  for (let i = 0; i < 7; i++) {
    const [row] = await app.sql<{ id: string }>(
      `insert into customers (last_name, created_at, updated_at) values (?, timestamptz '2026-01-02 03:04:05.678+00', now()) returning id`, [TAG]);
    const email = `${String.fromCharCode(103 - i)}.${TAG}@example.com`; // g…a: the reverse of insertion
    await app.sql(`insert into identities (customer_id, kind, namespace, value, source) values (?, 'email', '', ?, 'test')`, [row.id, email]);
    ids.push(row.id);
    emails.set(row.id, email);
  }
  // An eighth, later: newest first puts it before the seven.
  const [late] = await app.sql<{ id: string }>(`insert into customers (last_name, created_at, updated_at) values (?, timestamptz '2026-02-01 00:00:00+00', now()) returning id`, [TAG]);
  ids.push(late.id);
}, 120_000);
afterAll(async () => {
  await app?.close();
});

const ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const afterError = { code: 'BAD_USER_INPUT', message: 'after is not a cursor returned by this connection', details: { field: 'after' } };

describe('cursors', () => {
  it('round-trip a string, a number and a null sort value', () => {
    for (const v of ['2026-01-01 10:00:00.123456+00', 42, 0, null]) expect(decodeCursor(encodeCursor({ v, id: ID }))).toEqual({ v, id: ID });
    expect(encodeCursor({ v: 'a', id: ID })).toBe(Buffer.from(JSON.stringify(['a', ID]), 'utf8').toString('base64url'));
    expect(decodeCursor(null)).toBeNull();
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuse anything else with BAD_USER_INPUT on `after`', () => {
    const forged = [
      'x', '', b64('not json'), b64({ v: 1, id: ID }), b64([1]), b64(['a', ID, 'b']), b64(['a', 7]), b64([true, ID]), b64([{}, ID]),
      b64([[1], ID]), b64(['a', [ID]]), b64(['a', 'not-a-uuid']), b64(['a', `z${ID}`]), b64(['a', `${ID}z`]), b64(['a', ID.toUpperCase().replace(/[a-f]/gi, 'G')]),
    ];
    for (const raw of forged) {
      let thrown: unknown;
      try {
        decodeCursor(raw);
      } catch (e) {
        thrown = e;
      }
      expect([raw, thrown]).toEqual([raw, expect.objectContaining(afterError)]);
    }
  });
});

describe('first', () => {
  it('takes 0 to the cap, whole numbers only', () => {
    expect(checkFirst(0, 100)).toBe(0);
    expect(checkFirst(100, 100)).toBe(100);
    for (const bad of [-1, 101, 1.5, Number.NaN]) {
      expect(() => checkFirst(bad, 100)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', message: 'first must be between 0 and 100', details: { field: 'first' } }));
    }
  });
});

describe('array literals', () => {
  it('uuidArray: one literal of ids, any case; anything else (even around an id) is refused', () => {
    expect(uuidArray([])).toBe('{}');
    expect(uuidArray([ID, ID.toUpperCase()])).toBe(`{${ID},${ID.toUpperCase()}}`);
    for (const bad of ['x}', `z${ID}`, `${ID}z`, `${ID},${ID}`]) expect(() => uuidArray([bad])).toThrow(`not a uuid: ${bad}`);
  });

  it('textArray: PostgreSQL reads back exactly the strings, quotes, backslashes and commas included', async () => {
    const values = ['plain', 'a"b', 'c\\d', 'e,f', '{g}', '', 'NULL', ' h '];
    expect(textArray(values)).toBe('{"plain","a\\"b","c\\\\d","e,f","{g}","","NULL"," h "}');
    const [row] = await app.sql<{ v: string[] }>('select ?::text[] v', [textArray(values)]);
    expect(row.v).toEqual(values);
  });
});

describe('keysetPage', () => {
  const base = (over: Partial<KeysetQuery<Customer>>): KeysetQuery<Customer> => ({
    entity: Customer, table: 'customers', clauses: ['a.last_name = ?'], params: [TAG],
    sortColumn: 'created_at', sortCast: 'timestamptz', direction: 'asc', first: 2, after: null, ...over,
  });
  /** Every page of `first` rows, following the cursors: the ids in order, and each page's hasNextPage. */
  async function walk(q: Partial<KeysetQuery<Customer>>) {
    const seen: string[] = [];
    const more: boolean[] = [];
    let after: Cursor | null = null;
    for (let i = 0; i < 20; i++) {
      const page = await keysetPage(em, base({ ...q, after }));
      seen.push(...page.nodes.map((n) => n.id));
      more.push(page.hasNextPage);
      expect(page.cursors).toHaveLength(page.nodes.length);
      if (!page.hasNextPage) break;
      after = decodeCursor(page.cursors[page.cursors.length - 1]);
    }
    return { seen, more };
  }
  const tied = () => ids.slice(0, 7);
  const byId = (xs: string[], dir: 'asc' | 'desc') => [...xs].sort((x, y) => (x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1));

  it('pages through rows tied on the sort key by id, in the direction asked, each row once', async () => {
    const asc = await walk({ direction: 'asc' });
    expect(asc.seen).toEqual([...byId(tied(), 'asc'), ids[7]]);
    expect(asc.more).toEqual([true, true, true, false]);
    const desc = await walk({ direction: 'desc' });
    expect(desc.seen).toEqual([ids[7], ...byId(tied(), 'desc')]);
    expect(desc.more).toEqual([true, true, true, false]);
  });

  it('says there is a next page only when a row is left: exactly a page left, and a page of 8 of 8', async () => {
    const seven = await keysetPage(em, base({ first: 7 }));
    expect(seven.nodes).toHaveLength(7);
    expect(seven.hasNextPage).toBe(true);
    const all = await keysetPage(em, base({ first: 8 }));
    expect(all.nodes).toHaveLength(8);
    expect(all.hasNextPage).toBe(false);
    const last = await keysetPage(em, base({ first: 1, after: decodeCursor(seven.cursors[6]) }));
    expect([last.nodes.map((n) => n.id), last.hasNextPage]).toEqual([[ids[7]], false]);
  });

  it('first: 0 reads no rows but still counts them; the count is read once and shared', async () => {
    const page = await keysetPage(em, base({ first: 0 }));
    expect([page.nodes, page.cursors, page.hasNextPage]).toEqual([[], [], false]);
    const one = page.totalCount();
    expect(page.totalCount()).toBe(one);
    expect(await one).toBe(8);
    // The count ignores the cursor: it is the connection's, not what is left after it.
    const later = await keysetPage(em, base({ first: 2, after: decodeCursor((await keysetPage(em, base({ first: 2 }))).cursors[1]) }));
    expect(await later.totalCount()).toBe(8);
  });

  it('ANDs several clauses, in the page and in its count', async () => {
    const q = base({ clauses: ['a.last_name = ?', 'a.created_at < ?'], params: [TAG, '2026-01-15T00:00:00Z'], first: 10 });
    const page = await keysetPage(em, q);
    expect(page.nodes.map((n) => n.id).sort()).toEqual([...tied()].sort());
    expect(await page.totalCount()).toBe(7);
  });

  it('with no clause, every row of the table is in it', async () => {
    const [{ n }] = await app.sql<{ n: string }>('select count(*) n from customers');
    expect(await (await keysetPage(em, base({ clauses: [], params: [], first: 1 }))).totalCount()).toBe(Number(n));
  });

  it('sorts by an expression over a joined table, and its cursor carries that value', async () => {
    const q = {
      joins: `join identities i on i.customer_id = a.id and i.kind = 'email'`, sortExpr: 'i.value', sortCast: 'text' as const,
    };
    const { seen } = await walk({ ...q, direction: 'asc', first: 3 });
    expect(seen).toEqual([...tied()].sort((x, y) => (emails.get(x)! < emails.get(y)! ? -1 : 1)));
    const first = await keysetPage(em, base({ ...q, first: 1 }));
    expect(decodeCursor(first.cursors[0])).toEqual({ v: emails.get(seen[0]), id: seen[0] });
    expect(await first.totalCount()).toBe(7);
  });

  it('maps rows to entities without the sort column', async () => {
    const page = await keysetPage(em, base({ first: 1 }));
    expect(page.nodes[0]).toBeInstanceOf(Customer);
    expect(page.nodes[0]).toMatchObject({ id: byId(tied(), 'asc')[0], lastName: TAG });
    expect('__sort' in page.nodes[0]).toBe(false);
  });
});

describe('newestFirstPage', () => {
  it('is created_at desc, id desc, filtered by the columns given a value (null filters nothing)', async () => {
    const page = await newestFirstPage(em, Customer, 'customers', { last_name: TAG, first_name: null, email: undefined }, 3, null);
    expect(page.nodes.map((n) => n.id)).toEqual([ids[7], ...byIdDesc(ids.slice(0, 7)).slice(0, 2)]);
    expect(await page.totalCount()).toBe(8);
    // The next page, after the third row's cursor (its created_at read back as a timestamptz).
    const next = await newestFirstPage(em, Customer, 'customers', { last_name: TAG }, 3, decodeCursor(page.cursors[2]));
    expect(next.nodes.map((n) => n.id)).toEqual(byIdDesc(ids.slice(0, 7)).slice(2, 5));
    const none = await newestFirstPage(em, Customer, 'customers', { last_name: `${TAG}-nobody` }, 3, null);
    expect([none.nodes, none.hasNextPage, await none.totalCount()]).toEqual([[], false, 0]);
  });
});

function byIdDesc(xs: string[]): string[] {
  return [...xs].sort((x, y) => (x < y ? 1 : -1));
}
