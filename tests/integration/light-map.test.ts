import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName } from '@mikro-orm/core';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { seedDemoData } from '../../src/cli/seed';
import { lightMapper } from '../../src/db/light-map';
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
