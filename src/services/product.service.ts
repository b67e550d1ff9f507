import type { EntityManager } from '@mikro-orm/postgresql';
import { Product } from '../entities';
import { badInput } from '../errors/domain-error';
import type { Page } from '../schema/connection';
import { keysetPage, type Cursor } from './pagination';
import { MAX_INT4, checkCurrency, cleanText, requireText } from './validation';

export interface ProductData {
  sku: string;
  name: string;
  category: string;
  brand?: string | null;
  priceMinor: number;
  currency: string;
  unitCostMinor?: number | null;
}

export async function upsertProduct(em: EntityManager, data: ProductData, audit?: (em: EntityManager, customerId: null) => Promise<void>): Promise<Product> {
  const sku = requireText(data.sku, 'sku', 64);
  if (!/^[A-Za-z0-9._\-/]+$/.test(sku)) throw badInput('sku may hold only letters, digits and . _ - /', 'sku');
  const fields = {
    name: requireText(data.name, 'name'),
    category: requireText(data.category, 'category', 100).toLowerCase(),
    brand: cleanText(data.brand, 'brand') ?? null,
    priceMinor: data.priceMinor,
    currency: data.currency,
    unitCostMinor: data.unitCostMinor ?? null,
  };
  if (!Number.isInteger(fields.priceMinor) || fields.priceMinor < 0 || fields.priceMinor > MAX_INT4) throw badInput(`priceMinor must be an integer from 0 to ${MAX_INT4}`, 'priceMinor');
  if (fields.unitCostMinor != null && (!Number.isInteger(fields.unitCostMinor) || fields.unitCostMinor < 0 || fields.unitCostMinor > MAX_INT4)) {
    throw badInput(`unitCostMinor must be an integer from 0 to ${MAX_INT4}`, 'unitCostMinor');
  }
  checkCurrency(fields.currency);
  return em.transactional(async (tem) => {
    // INSERT … ON CONFLICT keeps concurrent upserts of one sku from racing into a unique violation.
    const rows: Array<{ id: string }> = await tem.execute(
      `insert into products (sku, name, category, brand, price_minor, currency, unit_cost_minor) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (sku) do update set name = excluded.name, category = excluded.category, brand = excluded.brand,
         price_minor = excluded.price_minor, currency = excluded.currency, unit_cost_minor = excluded.unit_cost_minor
       returning id`,
      [sku, fields.name, fields.category, fields.brand, fields.priceMinor, fields.currency, fields.unitCostMinor],
    );
    await audit?.(tem, null);
    return tem.findOneOrFail(Product, { id: rows[0].id }, { refresh: true });
  });
}

export function listProducts(em: EntityManager, args: { first: number; after: Cursor | null; category: string | null }): Promise<Page<Product>> {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (args.category) {
    clauses.push('a.category = ?');
    params.push(args.category.trim().toLowerCase());
  }
  return keysetPage(em, { entity: Product, table: 'products', clauses, params, sortColumn: 'sku', sortCast: 'text', direction: 'asc', first: args.first, after: args.after });
}
