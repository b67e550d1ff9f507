/**
 * The ingestion core's pure rules, at unit level (the `ingestion-rules` mutation scope,
 * stryker.config.mjs): who may do what through the core (rules.ts, against expectations written here
 * by hand, not derived from the policy table), and the checks and prices of every order write
 * (orders.ts), at each boundary. The GraphQL and path-parity tests prove the same rules end to end.
 */
import { rightsOf, OPERATOR_RIGHTS, ACTIVITY_RIGHTS } from '../../src/ingestion/rules';
import { validateOrder, priceOrderLines, MAX_ORDER_LINES, type OrderLineData, type PricedProduct } from '../../src/ingestion/orders';
import { Role } from '../../src/auth/viewer';
import { Scope } from '../../src/auth/policy';
import { OrderChannel, OrderStatus } from '../../src/entities/enums';
import { DomainError } from '../../src/errors/domain-error';

describe('rightsOf', () => {
  const none = { mayIdentify: false, mayMerge: false, mayLink: false, revealOwners: false, refuseSuppressed: true };
  const all = { mayIdentify: true, mayMerge: true, mayLink: true, revealOwners: true, refuseSuppressed: true };
  it.each([
    ['admin', { role: Role.ADMIN }, all],
    ['support', { role: Role.SUPPORT }, all],
    ['marketing', { role: Role.MARKETING }, none],
    ['analyst', { role: Role.ANALYST }, none],
    // A customer edits and links their own profile, never merges another into it nor learns whose an identifier is.
    ['customer', { role: Role.CUSTOMER }, { ...none, mayIdentify: true, mayLink: true }],
    ['partner without scopes', { role: Role.PARTNER }, none],
    ['partner with events:write', { role: Role.PARTNER, scopes: [Scope.EVENTS_WRITE] }, none],
    // customers:contact lets a partner look a customer up by identifier: it may then be told whose one is.
    ['partner with customers:contact', { role: Role.PARTNER, scopes: [Scope.CUSTOMERS_CONTACT, Scope.EVENTS_WRITE] }, { ...none, revealOwners: true }],
    // A first-party source identifies and links the person its event names; it never merges two profiles
    // nor, without customers:contact, learns whose an identifier is.
    ['partner with profiles:write', { role: Role.PARTNER, scopes: [Scope.EVENTS_WRITE, Scope.PROFILES_WRITE] }, { ...none, mayIdentify: true, mayLink: true }],
    ['partner with profiles:write alone', { role: Role.PARTNER, scopes: [Scope.PROFILES_WRITE] }, { ...none, mayIdentify: true, mayLink: true }],
    ['partner with profiles:write and customers:contact', { role: Role.PARTNER, scopes: [Scope.PROFILES_WRITE, Scope.CUSTOMERS_CONTACT] }, { ...none, mayIdentify: true, mayLink: true, revealOwners: true }],
  ])('%s', (_name, viewer, want) => {
    expect(rightsOf(viewer)).toEqual(want);
  });

  it('gives the operator every right and an activity writer none, and refuses suppressed identifiers for all', () => {
    expect(OPERATOR_RIGHTS).toEqual(all);
    expect(ACTIVITY_RIGHTS).toEqual(none);
  });
});

const line = (over: Partial<OrderLineData> = {}): OrderLineData => ({ sku: 'SKU-1', quantity: 1, ...over });
const order = (over: Record<string, unknown> = {}) => ({
  placedAt: new Date(Date.now() - 60_000), channel: OrderChannel.WEB, currency: 'EUR', lines: [line()], ...over,
}) as Parameters<typeof validateOrder>[0];

/** The DomainError `fn` throws, as code, field and message. */
function refusal(fn: () => unknown): { code: string; field: unknown; message: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { code: e.code, field: e.details.field, message: e.message };
  }
  throw new Error('did not throw');
}

describe('validateOrder', () => {
  it('defaults source, external id, promo code, discount and status, and trims what it is given', () => {
    expect(validateOrder(order())).toEqual({ source: 'api', externalId: null, discountMinor: 0, status: OrderStatus.PLACED, promoCode: null });
    expect(validateOrder(order({ source: '  shop ', externalId: ' A-1 ', promoCode: ' SPRING ', discountMinor: 5, status: OrderStatus.PAID })))
      .toEqual({ source: 'shop', externalId: 'A-1', discountMinor: 5, status: OrderStatus.PAID, promoCode: 'SPRING' });
    expect(validateOrder(order({ source: '   ', externalId: '', promoCode: ' ' }))).toMatchObject({ source: 'api', externalId: null, promoCode: null });
  });

  it('limits the lengths of source, external id and promo code', () => {
    expect(validateOrder(order({ source: 's'.repeat(64), externalId: 'e'.repeat(128), promoCode: 'p'.repeat(128) }))).toMatchObject({ source: 's'.repeat(64) });
    expect(refusal(() => validateOrder(order({ source: 's'.repeat(65) })))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'source' });
    expect(refusal(() => validateOrder(order({ externalId: 'e'.repeat(129) })))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'externalId' });
    expect(refusal(() => validateOrder(order({ promoCode: 'p'.repeat(129) })))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'promoCode' });
  });

  it('refuses a future or invalid time and a bad currency', () => {
    expect(refusal(() => validateOrder(order({ placedAt: new Date(Date.now() + 3 * 86_400_000) })))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'placedAt' });
    expect(refusal(() => validateOrder(order({ placedAt: new Date('nope') })))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'placedAt' });
    expect(refusal(() => validateOrder(order({ currency: 'eur' })))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currency' });
  });

  it('needs 1 to 500 lines', () => {
    expect(refusal(() => validateOrder(order({ lines: [] })))).toEqual({ code: 'BAD_USER_INPUT', field: 'lines', message: 'an order needs at least one line' });
    expect(MAX_ORDER_LINES).toBe(500);
    expect(validateOrder(order({ lines: Array.from({ length: 500 }, () => line()) })).status).toBe(OrderStatus.PLACED);
    expect(refusal(() => validateOrder(order({ lines: Array.from({ length: 501 }, () => line()) }))))
      .toEqual({ code: 'BAD_USER_INPUT', field: 'lines', message: 'an order has at most 500 lines' });
  });

  it('needs exactly one of productId or sku per line, naming the line', () => {
    expect(validateOrder(order({ lines: [line(), { productId: 'p1', quantity: 1 }] })).status).toBe(OrderStatus.PLACED);
    for (const bad of [{ quantity: 1 }, { productId: 'p1', sku: 'S', quantity: 1 }, { productId: null, sku: null, quantity: 1 }]) {
      expect(refusal(() => validateOrder(order({ lines: [line(), bad] }))))
        .toEqual({ code: 'BAD_USER_INPUT', field: 'lines[1]', message: 'lines[1] needs exactly one of productId or sku' });
    }
  });

  it('takes quantities from 1 to 100000, whole', () => {
    for (const quantity of [1, 100_000]) expect(validateOrder(order({ lines: [line({ quantity })] })).status).toBe(OrderStatus.PLACED);
    for (const quantity of [0, 100_001, 1.5, -1]) {
      expect(refusal(() => validateOrder(order({ lines: [line({ quantity })] }))))
        .toEqual({ code: 'BAD_USER_INPUT', field: 'lines[0].quantity', message: 'lines[0].quantity must be 1 to 100000' });
    }
  });

  it('takes unit prices from 0 to the int4 maximum, whole, or none', () => {
    for (const unitPriceMinor of [0, 2_147_483_647, null, undefined]) {
      expect(validateOrder(order({ lines: [line({ unitPriceMinor })] })).status).toBe(OrderStatus.PLACED);
    }
    for (const unitPriceMinor of [-1, 2_147_483_648, 0.5]) {
      expect(refusal(() => validateOrder(order({ lines: [line({ unitPriceMinor })] }))))
        .toEqual({ code: 'BAD_USER_INPUT', field: 'lines[0].unitPriceMinor', message: 'lines[0].unitPriceMinor must be an integer from 0 to 2147483647' });
    }
  });

  it('takes a whole, non-negative discount', () => {
    expect(validateOrder(order({ discountMinor: 0 })).discountMinor).toBe(0);
    expect(validateOrder(order({ discountMinor: null })).discountMinor).toBe(0);
    for (const discountMinor of [-1, 0.5]) {
      expect(refusal(() => validateOrder(order({ discountMinor }))))
        .toEqual({ code: 'BAD_USER_INPUT', field: 'discountMinor', message: 'discountMinor must be a non-negative integer' });
    }
  });
});

describe('priceOrderLines', () => {
  const eur: PricedProduct = { id: 'p-eur', sku: 'EUR-1', priceMinor: 1250, currency: 'EUR' };
  const usd: PricedProduct = { id: 'p-usd', sku: 'USD-1', priceMinor: 999, currency: 'USD' };
  const byId = new Map([[eur.id, eur], [usd.id, usd]]);
  const bySku = new Map([[eur.sku, eur], [usd.sku, usd]]);

  it('prices lines at the list price unless one is given, by id or sku, and sums them', () => {
    const r = priceOrderLines([{ productId: 'p-eur', quantity: 3 }, { sku: 'USD-1', quantity: 2, unitPriceMinor: 500 }, { sku: 'EUR-1', quantity: 1, unitPriceMinor: 0 }], 'EUR', 0, byId, bySku);
    expect(r).toEqual({
      subtotal: 3 * 1250 + 2 * 500,
      lines: [
        { product: eur, quantity: 3, unitPriceMinor: 1250, lineTotalMinor: 3750 },
        { product: usd, quantity: 2, unitPriceMinor: 500, lineTotalMinor: 1000 },
        { product: eur, quantity: 1, unitPriceMinor: 0, lineTotalMinor: 0 },
      ],
    });
  });

  it('refuses an unknown product, naming the line', () => {
    const e = refusal(() => priceOrderLines([{ sku: 'EUR-1', quantity: 1 }, { productId: 'p-nope', quantity: 1 }], 'EUR', 0, byId, bySku));
    expect(e).toEqual({ code: 'NOT_FOUND', field: 'lines[1]', message: 'lines[1]: product not found' });
    // A sku is looked up among skus only, an id among ids only.
    expect(refusal(() => priceOrderLines([{ sku: 'p-eur', quantity: 1 }], 'EUR', 0, byId, bySku))).toMatchObject({ code: 'NOT_FOUND' });
    expect(refusal(() => priceOrderLines([{ productId: 'EUR-1', quantity: 1 }], 'EUR', 0, byId, bySku))).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('needs a unit price for a product listed in another currency', () => {
    expect(refusal(() => priceOrderLines([{ sku: 'EUR-1', quantity: 1 }, { sku: 'USD-1', quantity: 1 }], 'EUR', 0, byId, bySku))).toEqual({
      code: 'BAD_USER_INPUT', field: 'lines[1].unitPriceMinor', message: 'lines[1].unitPriceMinor is required: the product is priced in USD',
    });
  });

  it('allows a discount up to the subtotal, not beyond', () => {
    expect(priceOrderLines([{ sku: 'EUR-1', quantity: 2 }], 'EUR', 2500, byId, bySku).subtotal).toBe(2500);
    expect(refusal(() => priceOrderLines([{ sku: 'EUR-1', quantity: 2 }], 'EUR', 2501, byId, bySku)))
      .toEqual({ code: 'BAD_USER_INPUT', field: 'discountMinor', message: 'discountMinor exceeds the order subtotal' });
  });

  it('refuses a subtotal beyond 2^53 minor units', () => {
    const dear: PricedProduct = { id: 'dear', sku: 'DEAR', priceMinor: 2_147_483_647, currency: 'EUR' };
    const lines = Array.from({ length: 42 }, () => ({ sku: 'DEAR', quantity: 100_000 }));
    // 41 lines: 8.80e15 ≤ 2^53 − 1; 42: 9.02e15 > 2^53.
    expect(priceOrderLines(lines.slice(0, 41), 'EUR', 0, new Map(), new Map([['DEAR', dear]])).subtotal).toBe(41 * 100_000 * 2_147_483_647);
    expect(refusal(() => priceOrderLines(lines, 'EUR', 0, new Map(), new Map([['DEAR', dear]]))))
      .toEqual({ code: 'BAD_USER_INPUT', field: 'lines', message: 'order total is out of range' });
  });
});
