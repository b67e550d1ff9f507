import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName } from '@mikro-orm/core';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { seedDemoData } from '../../src/cli/seed';
import { lightMapper, lightMapperFor } from '../../src/db/light-map';
import { recomputeMetrics } from '../../src/analytics/recompute';
import { ConsentRecord, Customer, CustomerMetrics, Feedback, Identity, Interaction, Order, OrderLine, Product } from '../../src/entities';

/**
 * The read paths map rows with lightMapper instead of em.map (no unit of work). Same rows, same
 * values: every property of every mapped entity type equals what em.map produces, references carry
 * the same primary key, the class (and so its getters and GraphQL type resolution) is the same, and
 * nothing lands in the identity map.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await seedDemoData(app.orm, { customers: 40, seed: 11 });
  await recomputeMetrics(app.orm.em.fork() as EntityManager);
});
afterAll(async () => {
  await app?.close();
});

const cases: Array<[EntityName<object>, string]> = [
  [Customer, 'customers'], [Order, 'orders'], [OrderLine, 'order_lines'], [Product, 'products'], [Interaction, 'interactions'],
  [Feedback, 'feedback'], [ConsentRecord, 'consent_records'], [Identity, 'identities'], [CustomerMetrics, 'customer_metrics'],
];

it.each(cases)('%p: lightMapper equals em.map, property by property', async (entity, table) => {
  const em = app.orm.em.fork() as EntityManager;
  const rows: Array<Record<string, unknown>> = await em.execute(`select * from ${table} order by 1 limit 60`);
  expect(rows.length).toBeGreaterThan(0);
  const light = lightMapper(em, entity);
  const meta = em.getMetadata().get((entity as { name: string }).name);
  for (const row of rows) {
    const l = light({ ...row }) as Record<string, unknown>;
    const reference = em.fork().map(entity, { ...row }) as Record<string, unknown>;
    expect(l).toBeInstanceOf(entity as new () => object);
    for (const prop of meta.props) {
      const a = l[prop.name];
      const b = reference[prop.name];
      if (prop.targetMeta) {
        expect([prop.name, a == null ? a : (a as { id: unknown }).id]).toEqual([prop.name, b == null ? b : (b as { id: unknown }).id]);
        if (a != null) expect(a).toBeInstanceOf(prop.targetMeta.class);
      } else {
        expect([prop.name, a]).toEqual([prop.name, b]);
        if (b != null) expect([prop.name, typeof a, Object.prototype.toString.call(a)]).toEqual([prop.name, typeof b, Object.prototype.toString.call(b)]);
      }
    }
    // Class getters (global ids, Money) read the light object's own data.
    if ('globalId' in reference) expect(l.globalId).toBe(reference.globalId);
    if ('total' in reference) expect(l.total).toEqual(reference.total);
  }
  expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
});

/**
 * The read planner's rows hold only the columns its selection reads, as JSON (dates as text):
 * lightMapperFor(columns) must make what lightMapper makes of the same row, property by property.
 */
it.each(cases)('%p: lightMapperFor(columns) equals lightMapper on rows holding only those columns', async (entity, table) => {
  const em = app.orm.em.fork() as EntityManager;
  const rows = (await em.execute(`select row_to_json(t)::text as j from ${table} t order by 1 limit 40`) as Array<{ j: string }>).map((r) => JSON.parse(r.j) as Record<string, unknown>);
  expect(rows.length).toBeGreaterThan(0);
  const all = Object.keys(rows[0]);
  const subsets = [all, all.filter((_, i) => i % 2 === 0), all.filter((_, i) => i % 2 === 1), all.slice(0, 1), all.slice(-3)];
  const meta = em.getMetadata().get((entity as { name: string }).name);
  for (const columns of subsets) {
    const fast = lightMapperFor(em, entity, columns);
    const general = lightMapper(em, entity);
    // Every entity here has single-column properties only: the specialised mapper, not the general one.
    expect(fast).not.toBe(general);
    for (const row of rows) {
      const only = Object.fromEntries(columns.map((c) => [c, row[c]]));
      const a = fast({ ...only, __planned: {} }) as Record<string, unknown>;
      const b = general({ ...only, __planned: {} }) as Record<string, unknown>;
      expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const prop of meta.props) {
        const x = a[prop.name];
        const y = b[prop.name];
        if (prop.targetMeta) expect([prop.name, (x as { id?: unknown } | null | undefined)?.id]).toEqual([prop.name, (y as { id?: unknown } | null | undefined)?.id]);
        else expect([prop.name, x, Object.prototype.toString.call(x)]).toEqual([prop.name, y, Object.prototype.toString.call(y)]);
      }
    }
  }
});
