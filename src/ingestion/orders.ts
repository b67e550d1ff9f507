import { OrderChannel, OrderStatus } from '../entities/enums';
import { DomainError, ErrorCode, badInput } from '../errors/domain-error';
import { MAX_INT4, checkCurrency, checkNotFuture, cleanText } from '../services/validation';

/** The order rules of the ingestion core: the same checks and prices for every path that writes an order. */

export interface OrderLineData {
  productId?: string | null;
  sku?: string | null;
  quantity: number;
  unitPriceMinor?: number | null;
}

export interface RecordOrderData {
  customerId: string;
  externalId?: string | null;
  source?: string | null;
  placedAt: Date;
  channel: OrderChannel;
  status?: OrderStatus | null;
  currency: string;
  discountMinor?: number | null;
  lines: OrderLineData[];
  /** A code used at checkout: an offer's code, else a campaign's. The order is then attributed to it directly. */
  promoCode?: string | null;
}

export const MAX_ORDER_LINES = 500;

/** The checks every order write makes before touching the database (recordOrder, ingestEvents, tracking, import: all through the core). */
export function validateOrder(data: Omit<RecordOrderData, 'customerId'>): { source: string; externalId: string | null; discountMinor: number; status: OrderStatus; promoCode: string | null } {
  const source = cleanText(data.source, 'source', 64) ?? 'api';
  const externalId = cleanText(data.externalId, 'externalId', 128) ?? null;
  const promoCode = cleanText(data.promoCode, 'promoCode', 128) ?? null;
  checkNotFuture(data.placedAt, 'placedAt');
  checkCurrency(data.currency);
  if (!data.lines.length) throw badInput('an order needs at least one line', 'lines');
  if (data.lines.length > MAX_ORDER_LINES) throw badInput(`an order has at most ${MAX_ORDER_LINES} lines`, 'lines');
  data.lines.forEach((l, i) => {
    if ((l.productId == null) === (l.sku == null)) throw badInput(`lines[${i}] needs exactly one of productId or sku`, `lines[${i}]`);
    if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > 100_000) throw badInput(`lines[${i}].quantity must be 1 to 100000`, `lines[${i}].quantity`);
    if (l.unitPriceMinor != null && (!Number.isInteger(l.unitPriceMinor) || l.unitPriceMinor < 0 || l.unitPriceMinor > MAX_INT4)) {
      throw badInput(`lines[${i}].unitPriceMinor must be an integer from 0 to ${MAX_INT4}`, `lines[${i}].unitPriceMinor`);
    }
  });
  const discountMinor = data.discountMinor ?? 0;
  if (!Number.isInteger(discountMinor) || discountMinor < 0) throw badInput('discountMinor must be a non-negative integer', 'discountMinor');
  return { source, externalId, discountMinor, status: data.status ?? OrderStatus.PLACED, promoCode };
}

export interface PricedProduct {
  id: string;
  sku: string;
  priceMinor: number;
  currency: string;
}

/** Prices an order's lines (list price when none is given, same currency only) and checks the totals. */
export function priceOrderLines<P extends PricedProduct>(
  lines: OrderLineData[], currency: string, discountMinor: number, byId: Map<string, P>, bySku: Map<string, P>,
): { lines: Array<{ product: P; quantity: number; unitPriceMinor: number; lineTotalMinor: number }>; subtotal: number } {
  let subtotal = 0;
  const priced = lines.map((l, i) => {
    const product = l.productId != null ? byId.get(l.productId) : bySku.get(l.sku!);
    if (!product) throw new DomainError(ErrorCode.NOT_FOUND, `lines[${i}]: product not found`, { field: `lines[${i}]` });
    let unit = l.unitPriceMinor;
    if (unit == null) {
      if (product.currency !== currency) throw badInput(`lines[${i}].unitPriceMinor is required: the product is priced in ${product.currency}`, `lines[${i}].unitPriceMinor`);
      unit = product.priceMinor;
    }
    const lineTotal = unit * l.quantity;
    subtotal += lineTotal;
    return { product, quantity: l.quantity, unitPriceMinor: unit, lineTotalMinor: lineTotal };
  });
  if (!Number.isSafeInteger(subtotal)) throw badInput('order total is out of range', 'lines');
  if (discountMinor > subtotal) throw badInput('discountMinor exceeds the order subtotal', 'discountMinor');
  return { lines: priced, subtotal };
}


/** Column expressions of one order, stored or incoming, for `orderContentSql`. */
export interface OrderContentColumns {
  placedAt: string;
  channel: string;
  status: string;
  currency: string;
  discountMinor: string;
  offerId: string;
  campaignId: string;
  /** A jsonb array of [productId, quantity, unitPriceMinor] per line, in position order. */
  lines: string;
}

/**
 * THE rule for "the same order" (an order number reused): one canonical jsonb document of the order's
 * content, built by the same SQL for the stored order and for the incoming one, so every path (the core
 * for mutations, ingestEvents and tracking; the import's set-based chunk) compares the same things:
 * time, channel, status, currency, discount, attribution (offer, campaign) and every line (product,
 * quantity, unit price) in order. The customer is compared beside it (after a merge the stored order
 * belongs to the survivor, which a replay resolves to). Times compare as epoch seconds: jsonb compares
 * numbers by value, so the text form of a timestamp never matters.
 */
export function orderContentSql(c: OrderContentColumns): string {
  return `jsonb_build_object('placedAt', extract(epoch from ${c.placedAt}), 'channel', ${c.channel}, 'status', ${c.status}, 'currency', ${c.currency},
    'discountMinor', ${c.discountMinor}, 'offerId', ${c.offerId}, 'campaignId', ${c.campaignId}, 'lines', ${c.lines})`;
}

/** `orderContentSql` of a stored order (alias `o`, any name): its lines read from order_lines. */
export function storedOrderContentSql(o: string): string {
  return orderContentSql({
    placedAt: `${o}.placed_at`, channel: `${o}.channel`, status: `${o}.status`, currency: `${o}.currency`, discountMinor: `${o}.discount_minor`,
    offerId: `${o}.offer_id`, campaignId: `${o}.campaign_id`,
    lines: `coalesce((select jsonb_agg(jsonb_build_array(l.product_id, l.quantity, l.unit_price_minor) order by l.position) from order_lines l where l.order_id = ${o}.id), '[]'::jsonb)`,
  });
}
