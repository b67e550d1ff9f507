import type { CountryCode } from 'libphonenumber-js';
import { IdentityKind, InteractionChannel, InteractionType, OrderChannel, OrderStatus } from '../entities/enums';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { normalizeEmail, normalizeIdentifier, normalizePhone } from '../services/identity-normalizer';
import { MAX_INT4, checkCurrency, checkJsonSize, checkLocale, checkNotFuture, cleanText } from '../services/validation';
import { MAX_ORDER_LINES } from '../ingestion/orders';
import { blocklistedRaw } from '../ingestion/identify';
import type { MergePolicy } from '../services/merge-policy';

export enum RecordKind {
  CUSTOMER = 'customer',
  ORDER = 'order',
  INTERACTION = 'interaction',
}

/** Reason codes of the rejects file (README "Bulk import"). */
export enum RejectCode {
  INVALID_JSON = 'INVALID_JSON',
  INVALID_CSV = 'INVALID_CSV',
  UNKNOWN_TYPE = 'UNKNOWN_TYPE',
  MISSING_FIELD = 'MISSING_FIELD',
  INVALID_VALUE = 'INVALID_VALUE',
  NO_IDENTIFIER = 'NO_IDENTIFIER',
  UNKNOWN_SKU = 'UNKNOWN_SKU',
  PRICE_REQUIRED = 'PRICE_REQUIRED',
  SUPPRESSED_IDENTIFIER = 'SUPPRESSED_IDENTIFIER',
  IDENTIFIER_CONFLICT = 'IDENTIFIER_CONFLICT',
  CONFLICTING_DUPLICATE = 'CONFLICTING_DUPLICATE',
  ORDER_LINE_REJECTED = 'ORDER_LINE_REJECTED',
}

/** The API's error code for a reason code (`errorCode` of the rejects file): what ingestEvents answers for the same event. */
export function apiErrorCode(code: RejectCode): ErrorCode {
  switch (code) {
    case RejectCode.UNKNOWN_SKU:
      return ErrorCode.NOT_FOUND;
    case RejectCode.SUPPRESSED_IDENTIFIER:
    case RejectCode.IDENTIFIER_CONFLICT:
    case RejectCode.CONFLICTING_DUPLICATE:
      return ErrorCode.CONFLICT;
    default:
      return ErrorCode.BAD_USER_INPUT;
  }
}

export class RowError extends Error {
  constructor(readonly code: RejectCode, message: string, readonly field?: string) {
    super(message);
  }
}

export type Identifier = [kind: string, namespace: string, value: string];

export interface StagedLine {
  sku: string;
  quantity: number;
  unit_price_minor: number | null;
}

/** One record as staged (column names of the staging table); every value already normalised. */
export interface StagedRecord {
  line: number;
  lineNumbers: number[] | null;
  kind: RecordKind;
  source: string;
  ids: Identifier[];
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  locale?: string | null;
  birthDate?: string | null;
  traits?: Record<string, unknown> | null;
  /** A customer row's idempotency key (column idempotency_key), as upsertCustomer's; else its content digest. */
  idempotencyKey?: string | null;
  externalId?: string | null;
  /** An order's checkout code (column promo_code), as recordOrder's promoCode. */
  promoCode?: string | null;
  at?: string | null;
  channel?: string | null;
  status?: string | null;
  currency?: string | null;
  discountMinor?: number | null;
  lines?: StagedLine[] | null;
  eventId?: string | null;
  itype?: string | null;
  sku?: string | null;
  campaign?: string | null;
  properties?: Record<string, unknown> | null;
}

export interface ValidateOptions {
  defaultSource: string;
  defaultCountry?: CountryCode;
  /** Its blocklist drops junk identifiers. */
  policy?: MergePolicy;
}

/** A raw row: parsed JSON values (NDJSON) or strings (CSV, where '' means absent). */
export type RawRow = Record<string, unknown>;

const ENUM_VALUES = {
  orderChannel: new Set<string>(Object.values(OrderChannel)),
  orderStatus: new Set<string>(Object.values(OrderStatus)),
  interactionChannel: new Set<string>(Object.values(InteractionChannel)),
  interactionType: new Set<string>(Object.values(InteractionType)),
  identityKind: new Set<string>(Object.values(IdentityKind)),
};

/** Runs a normaliser from the API and turns its DomainError into a reject reason. */
function apiCheck<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DomainError) throw new RowError(RejectCode.INVALID_VALUE, err.message, (err.details.field as string | undefined) ?? field);
    throw err;
  }
}

function str(row: RawRow, field: string): string | undefined {
  const v = row[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw new RowError(RejectCode.INVALID_VALUE, `${field} must be a string`, field);
  const t = v.trim();
  return t === '' ? undefined : t;
}

function text(row: RawRow, field: string, max = 200): string | undefined {
  const v = str(row, field);
  return v === undefined ? undefined : (apiCheck(field, () => cleanText(v, field, max)) ?? undefined);
}

function required(row: RawRow, field: string, max = 200): string {
  const v = text(row, field, max);
  if (v === undefined) throw new RowError(RejectCode.MISSING_FIELD, `${field} is required`, field);
  return v;
}

function int(row: RawRow, field: string, min: number, max: number): number | undefined {
  const v = row[field];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new RowError(RejectCode.INVALID_VALUE, `${field} must be an integer from ${min} to ${max}`, field);
  return n;
}

function enumValue(row: RawRow, field: string, allowed: Set<string>, fallback?: string): string {
  const v = str(row, field)?.toLowerCase();
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new RowError(RejectCode.MISSING_FIELD, `${field} is required`, field);
  }
  if (!allowed.has(v)) throw new RowError(RejectCode.INVALID_VALUE, `${field} must be one of ${[...allowed].join(', ')}`, field);
  return v;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** ISO 8601; a time without an offset is read as UTC (never the importing machine's zone). */
function time(row: RawRow, field: string): string {
  const v = str(row, field);
  if (v === undefined) throw new RowError(RejectCode.MISSING_FIELD, `${field} is required`, field);
  const m = ISO_TIME.exec(v);
  if (!m) throw new RowError(RejectCode.INVALID_VALUE, `${field} must be an ISO 8601 time such as 2026-01-31T12:00:00Z`, field);
  const d = new Date(v.length === 10 ? `${v}T00:00:00Z` : m[1] ? v : `${v}Z`);
  apiCheck(field, () => checkNotFuture(d, field));
  return d.toISOString();
}

/** JSON object fields: objects in NDJSON, JSON text in CSV. */
function jsonObject(row: RawRow, field: string): Record<string, unknown> | undefined {
  let v = row[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new RowError(RejectCode.INVALID_VALUE, `${field} must be a JSON object`, field);
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RowError(RejectCode.INVALID_VALUE, `${field} must be a JSON object`, field);
  const obj = v as Record<string, unknown>;
  apiCheck(field, () => checkJsonSize(obj, field));
  return obj;
}

function jsonArray(row: RawRow, field: string): unknown[] | undefined {
  let v = row[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new RowError(RejectCode.INVALID_VALUE, `${field} must be a JSON array`, field);
    }
  }
  if (!Array.isArray(v)) throw new RowError(RejectCode.INVALID_VALUE, `${field} must be a JSON array`, field);
  return v;
}

/**
 * The customer a row belongs to: email, phone, customer_external_id (+ customer_namespace) and any
 * `identities` [{kind, namespace, value}], normalised exactly as the API does.
 */
function identifiers(row: RawRow, opts: ValidateOptions): { ids: Identifier[]; email?: string; phone?: string } {
  const ids: Identifier[] = [];
  // Junk values of the merge policy's blocklist are neither matched nor stored, as in the API (identify.ts).
  let junk = 0;
  const isJunk = (kind: IdentityKind, raw: string | undefined) => raw !== undefined && !!opts.policy && blocklistedRaw(opts.policy, kind, raw) && ++junk > 0;
  const rawEmail = str(row, 'email');
  let email = rawEmail === undefined || isJunk(IdentityKind.EMAIL, rawEmail) ? undefined : apiCheck('email', () => normalizeEmail(rawEmail));
  if (isJunk(IdentityKind.EMAIL, email)) email = undefined;
  if (email) ids.push([IdentityKind.EMAIL, '', email]);
  const rawPhone = str(row, 'phone');
  let phone = rawPhone === undefined || isJunk(IdentityKind.PHONE, rawPhone) ? undefined : apiCheck('phone', () => normalizePhone(rawPhone, opts.defaultCountry));
  if (isJunk(IdentityKind.PHONE, phone)) phone = undefined;
  if (phone) ids.push([IdentityKind.PHONE, '', phone]);
  const ext = str(row, 'customer_external_id');
  if (ext !== undefined) {
    const ns = str(row, 'customer_namespace') ?? '';
    const n = apiCheck('customer_external_id', () => normalizeIdentifier(IdentityKind.EXTERNAL_ID, ext, ns, 'customer_external_id'));
    ids.push([n.kind, n.namespace, n.value]);
  }
  const more = jsonArray(row, 'identities') ?? [];
  more.forEach((raw, i) => {
    const field = `identities[${i}]`;
    if (!raw || typeof raw !== 'object') throw new RowError(RejectCode.INVALID_VALUE, `${field} must be an object {kind, namespace, value}`, field);
    const o = raw as RawRow;
    const kind = enumValue(o, 'kind', ENUM_VALUES.identityKind) as IdentityKind;
    const value = str(o, 'value');
    if (value === undefined) throw new RowError(RejectCode.MISSING_FIELD, `${field}.value is required`, `${field}.value`);
    if (isJunk(kind, value)) return;
    const n = apiCheck(`${field}.value`, () => normalizeIdentifier(kind, value, str(o, 'namespace') ?? '', `${field}.value`));
    if (!isJunk(n.kind, n.value)) ids.push([n.kind, n.namespace, n.value]);
  });
  if (!ids.length && junk) throw new RowError(RejectCode.NO_IDENTIFIER, "every identifier given is a junk value on the merge policy's blocklist", 'identifiers');
  if (!ids.length) throw new RowError(RejectCode.NO_IDENTIFIER, 'a row needs email, phone, customer_external_id or identities to find its customer', 'email');
  const seen = new Set<string>();
  return { ids: ids.filter((i) => (seen.has(i.join('\u0001')) ? false : (seen.add(i.join('\u0001')), true))), email, phone };
}

function source(row: RawRow, opts: ValidateOptions): string {
  return text(row, 'source', 64) ?? opts.defaultSource;
}

export function validateCustomer(row: RawRow, line: number, opts: ValidateOptions): StagedRecord {
  const { ids, email, phone } = identifiers(row, opts);
  const birth = str(row, 'birth_date');
  if (birth !== undefined) {
    const d = new Date(`${birth}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(birth) || Number.isNaN(d.getTime()) || d.getTime() > Date.now() || d.getUTCFullYear() < 1900) {
      throw new RowError(RejectCode.INVALID_VALUE, 'birth_date must be a past date (YYYY-MM-DD) after 1900', 'birth_date');
    }
  }
  const rawLocale = str(row, 'locale');
  return {
    line, lineNumbers: null, kind: RecordKind.CUSTOMER, source: source(row, opts), ids,
    email: email ?? null, phone: phone ?? null,
    firstName: text(row, 'first_name') ?? null,
    lastName: text(row, 'last_name') ?? null,
    locale: rawLocale === undefined ? null : apiCheck('locale', () => checkLocale(rawLocale)) ?? null,
    birthDate: birth ?? null,
    traits: jsonObject(row, 'traits') ?? null,
    idempotencyKey: text(row, 'idempotency_key', 200) ?? null,
  };
}

/** Order fields of a row (the lines are validated apart, so that CSV can give one line per row). */
export function validateOrderHead(row: RawRow, line: number, opts: ValidateOptions): StagedRecord {
  const { ids } = identifiers(row, opts);
  const currency = required(row, 'currency', 3);
  apiCheck('currency', () => checkCurrency(currency));
  return {
    line, lineNumbers: null, kind: RecordKind.ORDER, source: source(row, opts), ids,
    externalId: required(row, 'external_id', 128),
    at: time(row, 'placed_at'),
    channel: enumValue(row, 'channel', ENUM_VALUES.orderChannel),
    status: enumValue(row, 'status', ENUM_VALUES.orderStatus, OrderStatus.PLACED),
    currency,
    discountMinor: int(row, 'discount_minor', 0, Number.MAX_SAFE_INTEGER) ?? 0,
    promoCode: text(row, 'promo_code', 64) ?? null,
    lines: [],
  };
}

export function validateOrderLine(row: RawRow, prefix = ''): StagedLine {
  const at = (f: string) => `${prefix}${f}`;
  const sku = str(row, 'sku');
  if (sku === undefined) throw new RowError(RejectCode.MISSING_FIELD, `${at('sku')} is required`, at('sku'));
  const quantity = int(row, 'quantity', 1, 100_000);
  if (quantity === undefined) throw new RowError(RejectCode.MISSING_FIELD, `${at('quantity')} is required`, at('quantity'));
  apiCheck(at('sku'), () => cleanText(sku, at('sku'), 100));
  return { sku, quantity, unit_price_minor: int(row, 'unit_price_minor', 0, MAX_INT4) ?? null };
}

/** NDJSON orders carry their lines as an array. */
export function validateOrder(row: RawRow, line: number, opts: ValidateOptions): StagedRecord {
  const order = validateOrderHead(row, line, opts);
  const lines = jsonArray(row, 'lines');
  if (!lines?.length) throw new RowError(RejectCode.MISSING_FIELD, 'an order needs at least one line', 'lines');
  if (lines.length > MAX_ORDER_LINES) throw new RowError(RejectCode.INVALID_VALUE, `an order has at most ${MAX_ORDER_LINES} lines`, 'lines');
  order.lines = lines.map((l, i) => {
    if (!l || typeof l !== 'object') throw new RowError(RejectCode.INVALID_VALUE, `lines[${i}] must be an object {sku, quantity, unit_price_minor}`, `lines[${i}]`);
    return validateOrderLine(l as RawRow, `lines[${i}].`);
  });
  return order;
}

export function validateInteraction(row: RawRow, line: number, opts: ValidateOptions): StagedRecord {
  const { ids } = identifiers(row, opts);
  const sku = str(row, 'product_sku');
  return {
    line, lineNumbers: null, kind: RecordKind.INTERACTION, source: source(row, opts), ids,
    // The natural key that makes a re-run a no-op: an import without it could not tell a replay from a new event.
    eventId: required(row, 'source_event_id', 200),
    at: time(row, 'occurred_at'),
    channel: enumValue(row, 'channel', ENUM_VALUES.interactionChannel),
    itype: enumValue(row, 'interaction_type', ENUM_VALUES.interactionType),
    sku: sku === undefined ? null : apiCheck('product_sku', () => cleanText(sku, 'product_sku', 100)) ?? null,
    campaign: text(row, 'campaign', 128) ?? null,
    properties: jsonObject(row, 'properties') ?? {},
  };
}

export function parseKind(raw: unknown): RecordKind {
  const v = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (v === RecordKind.CUSTOMER || v === RecordKind.ORDER || v === RecordKind.INTERACTION) return v;
  throw new RowError(RejectCode.UNKNOWN_TYPE, 'type must be customer, order or interaction', 'type');
}
