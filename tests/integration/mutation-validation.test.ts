/**
 * "Bad input gets a clear error and loses nothing", for every mutation.
 *
 * Each case sends one bad input over HTTP (as ADMIN) and checks:
 *  - the error code (`extensions.code`) and the HTTP status;
 *  - exactly one error, with a human message that names what is wrong;
 *  - no data: `data` is absent (request rejected before execution) or the mutation field is null;
 *  - nothing internal leaks (no stack trace, SQL, file paths or driver/constraint text);
 *  - `databaseDigest` (md5 over every row of every table) is identical before and after.
 *
 * Two stages reject input, and they answer differently (Apollo Server 5):
 *  - 'graphql': the variables do not coerce to the schema (bad scalar, unknown enum value, missing
 *    required field). Apollo answers HTTP 400, BAD_USER_INPUT, and no `data` key at all.
 *  - 'service': the resolver/service refuses it (DomainError). HTTP 200, `data: null` (every mutation
 *    field is non-null, so the null propagates to `data`).
 */
import type { DocumentNode } from 'graphql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer, makeProduct } from '../helpers/fixtures';
import {
  RecordFeedbackDocument, RecordInteractionDocument, RecordOrderDocument, SetConsentDocument, UpsertCustomerDocument,
  UpsertProductDocument,
} from '../generated/graphql';

type MutationName = 'upsertCustomer' | 'upsertProduct' | 'recordOrder' | 'recordInteraction' | 'recordFeedback' | 'setConsent';
type Code = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT';
type Stage = 'graphql' | 'service';

const DOCUMENTS: Record<MutationName, DocumentNode> = {
  upsertCustomer: UpsertCustomerDocument,
  upsertProduct: UpsertProductDocument,
  recordOrder: RecordOrderDocument,
  recordInteraction: RecordInteractionDocument,
  recordFeedback: RecordFeedbackDocument,
  setConsent: SetConsentDocument,
};

/** What each stage answers with, as observed on Apollo Server 5.5 (see the header comment). */
const HTTP_STATUS: Record<Stage, number> = { graphql: 400, service: 200 };

interface Fixtures {
  alice: { id: string; email: string };
  bob: { id: string; email: string };
  merged: { id: string };
  /** Has 12 KB of traits already. */
  heavy: { id: string; email: string };
  erased: { id: string };
  book: { id: string; sku: string };
  gadgetUsd: { id: string; sku: string };
  order: { id: string; externalId: string; source: string; placedAt: string };
  event: { sourceEventId: string; occurredAt: string };
}

interface BadCase {
  name: string;
  stage: Stage;
  code: Code;
  /** The message must say what is wrong: usually it names the field. */
  message: RegExp;
  input: (f: Fixtures) => Record<string, unknown>;
}

const gid = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`, 'utf8').toString('base64url');
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000';
const DAY = 24 * 3600 * 1000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString();
/** A JSON object of about 17 KB: over the 16 KiB cap on traits and properties. */
const oversizedJson = () => ({ blob: 'x'.repeat(17_000) });
const PLACED_AT = '2026-03-01T09:30:00.000Z';
const ALICE_DEVICE = 'mv-device-alice';

// ---------------------------------------------------------------------------------------------
// The tables. Each input is valid except for the one thing the case is about.
// ---------------------------------------------------------------------------------------------

const customerCases: BadCase[] = [
  { name: 'birthDate that is not a calendar date (LocalDate scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /birthDate/,
    input: () => ({ email: 'feb30@example.com', birthDate: '1990-02-30' }) },
  { name: 'identity without its required value', stage: 'graphql', code: 'BAD_USER_INPUT', message: /value/,
    input: () => ({ identities: [{ kind: 'CRM_ID', namespace: 'salesforce' }] }) },
  { name: 'email with a space in it', stage: 'service', code: 'BAD_USER_INPUT', message: /email is not a valid email address/,
    input: () => ({ email: 'grace hopper@example.com', firstName: 'Grace' }) },
  { name: 'phone that is not a phone number', stage: 'service', code: 'BAD_USER_INPUT', message: /phone is not a valid phone number/,
    input: () => ({ phone: '12345', firstName: 'Nobody' }) },
  { name: 'locale that is not a BCP 47 tag', stage: 'service', code: 'BAD_USER_INPUT', message: /locale/,
    input: () => ({ email: 'locale@example.com', locale: 'en_US!' }) },
  { name: 'traits over 16 KiB of JSON', stage: 'service', code: 'BAD_USER_INPUT', message: /traits must be at most 16384 bytes/,
    input: () => ({ email: 'big.traits@example.com', traits: oversizedJson() }) },
  { name: 'no id and no identifier at all', stage: 'service', code: 'BAD_USER_INPUT', message: /email|phone|identit/,
    input: () => ({ firstName: 'Anonymous', lastName: 'Person' }) },
  { name: 'EXTERNAL_ID identity without a namespace', stage: 'service', code: 'BAD_USER_INPUT', message: /namespace/,
    input: () => ({ identities: [{ kind: 'EXTERNAL_ID', value: 'cust-42' }] }) },
  { name: 'birthDate in the future', stage: 'service', code: 'BAD_USER_INPUT', message: /birthDate/,
    input: () => ({ email: 'unborn@example.com', birthDate: '2999-01-01' }) },
  { name: 'id that is an Order id, not a Customer id', stage: 'service', code: 'BAD_USER_INPUT', message: /input\.id is not a valid Customer id/,
    input: (f) => ({ id: f.order.id, firstName: 'X' }) },
  { name: 'id of a customer that does not exist', stage: 'service', code: 'NOT_FOUND', message: /customer not found/,
    input: () => ({ id: gid('Customer', NO_SUCH_UUID), firstName: 'Ghost' }) },
  // Identifiers of two customers now merge them when the policy allows (tests/integration/merges.test.ts);
  // a DEVICE link may not merge automatically under the default MERGE_POLICY, so this stays a CONFLICT.
  { name: 'identifiers of two different customers linked only by a device', stage: 'service', code: 'CONFLICT', message: /belong to different customers, linked only by device/,
    input: (f) => ({ email: f.bob.email, identities: [{ kind: 'DEVICE', value: ALICE_DEVICE }], firstName: 'Both' }) },
];

const productCases: BadCase[] = [
  { name: 'currency that is not ISO 4217 (Currency scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /currency/,
    input: () => ({ sku: 'BAD-CUR', name: 'Thing', category: 'books', priceMinor: 100, currency: 'EURO' }) },
  { name: 'negative priceMinor (NonNegativeInt scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /priceMinor/,
    input: () => ({ sku: 'NEG-PRICE', name: 'Thing', category: 'books', priceMinor: -1, currency: 'EUR' }) },
  { name: 'missing required name', stage: 'graphql', code: 'BAD_USER_INPUT', message: /name/,
    input: () => ({ sku: 'NO-NAME', category: 'books', priceMinor: 100, currency: 'EUR' }) },
  { name: 'empty sku', stage: 'service', code: 'BAD_USER_INPUT', message: /sku is required/,
    input: () => ({ sku: '   ', name: 'Thing', category: 'books', priceMinor: 100, currency: 'EUR' }) },
  { name: 'sku with a space', stage: 'service', code: 'BAD_USER_INPUT', message: /sku may hold only/,
    input: () => ({ sku: 'HAS SPACE', name: 'Thing', category: 'books', priceMinor: 100, currency: 'EUR' }) },
  { name: 'sku over 64 characters', stage: 'service', code: 'BAD_USER_INPUT', message: /sku must be at most 64/,
    input: () => ({ sku: 'S'.repeat(65), name: 'Thing', category: 'books', priceMinor: 100, currency: 'EUR' }) },
  { name: 'blank name', stage: 'service', code: 'BAD_USER_INPUT', message: /name is required/,
    input: () => ({ sku: 'BLANK-NAME', name: ' ', category: 'books', priceMinor: 100, currency: 'EUR' }) },
  { name: 'empty category', stage: 'service', code: 'BAD_USER_INPUT', message: /category is required/,
    input: () => ({ sku: 'NO-CAT', name: 'Thing', category: '', priceMinor: 100, currency: 'EUR' }) },
  { name: 'priceMinor beyond a 32-bit integer', stage: 'service', code: 'BAD_USER_INPUT', message: /priceMinor/,
    input: () => ({ sku: 'HUGE-PRICE', name: 'Thing', category: 'books', priceMinor: 2 ** 31, currency: 'EUR' }) },
  { name: 'lower-case currency (the scalar accepts it, the service does not)', stage: 'service', code: 'BAD_USER_INPUT', message: /currency/,
    input: () => ({ sku: 'LOWER-CUR', name: 'Thing', category: 'books', priceMinor: 100, currency: 'eur' }) },
  { name: 'brand over 200 characters', stage: 'service', code: 'BAD_USER_INPUT', message: /brand must be at most 200/,
    input: () => ({ sku: 'LONG-BRAND', name: 'Thing', category: 'books', brand: 'b'.repeat(201), priceMinor: 100, currency: 'EUR' }) },
];

const orderInput = (f: Fixtures, over: Record<string, unknown> = {}) => ({
  customerId: f.alice.id, placedAt: PLACED_AT, channel: 'WEB', currency: 'EUR', lines: [{ productId: f.book.id, quantity: 1 }], ...over,
});

const orderCases: BadCase[] = [
  { name: 'placedAt that is not a DateTime', stage: 'graphql', code: 'BAD_USER_INPUT', message: /placedAt/,
    input: (f) => orderInput(f, { placedAt: 'yesterday' }) },
  { name: 'currency that is not ISO 4217 (Currency scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /currency/,
    input: (f) => orderInput(f, { currency: 'ABC' }) },
  { name: 'quantity 0 (PositiveInt scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /quantity/,
    input: (f) => orderInput(f, { lines: [{ productId: f.book.id, quantity: 0 }] }) },
  { name: 'negative discountMinor (NonNegativeInt scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /discountMinor/,
    input: (f) => orderInput(f, { discountMinor: -5 }) },
  { name: 'missing required lines', stage: 'graphql', code: 'BAD_USER_INPUT', message: /lines/,
    input: (f) => { const { lines: _l, ...rest } = orderInput(f); return rest; } },
  { name: 'no lines', stage: 'service', code: 'BAD_USER_INPUT', message: /at least one line/,
    input: (f) => orderInput(f, { lines: [] }) },
  { name: 'more than 500 lines', stage: 'service', code: 'BAD_USER_INPUT', message: /at most 500 lines/,
    input: (f) => orderInput(f, { lines: Array.from({ length: 501 }, () => ({ productId: f.book.id, quantity: 1 })) }) },
  { name: 'a product that does not exist', stage: 'service', code: 'NOT_FOUND', message: /lines\[0\].*product not found/,
    input: (f) => orderInput(f, { lines: [{ productId: gid('Product', NO_SUCH_UUID), quantity: 1 }] }) },
  { name: 'discount above the subtotal', stage: 'service', code: 'BAD_USER_INPUT', message: /discountMinor exceeds the order subtotal/,
    input: (f) => orderInput(f, { discountMinor: 1251 }) },
  { name: 'placedAt a month in the future', stage: 'service', code: 'BAD_USER_INPUT', message: /placedAt is in the future/,
    input: (f) => orderInput(f, { placedAt: inDays(30) }) },
  { name: 'customerId that is an Order id', stage: 'service', code: 'BAD_USER_INPUT', message: /customerId is not a valid Customer id/,
    input: (f) => orderInput(f, { customerId: f.order.id }) },
  { name: 'a customer that does not exist', stage: 'service', code: 'NOT_FOUND', message: /customer not found/,
    input: (f) => orderInput(f, { customerId: gid('Customer', NO_SUCH_UUID) }) },
  { name: 'same externalId + source again with different content', stage: 'service', code: 'CONFLICT', message: /already recorded with different content/,
    input: (f) => orderInput(f, { externalId: f.order.externalId, source: f.order.source, placedAt: f.order.placedAt, lines: [{ productId: f.book.id, quantity: 3 }] }) },
];

const interactionInput = (f: Fixtures, over: Record<string, unknown> = {}) => ({
  customerId: f.alice.id, occurredAt: '2026-04-01T12:00:00.000Z', channel: 'WEB', type: 'PRODUCT_VIEW', ...over,
});

const interactionCases: BadCase[] = [
  { name: 'occurredAt without a time zone (DateTime scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /occurredAt/,
    input: (f) => interactionInput(f, { occurredAt: '2026-04-01 12:00' }) },
  { name: 'unknown channel enum value', stage: 'graphql', code: 'BAD_USER_INPUT', message: /channel/,
    input: (f) => interactionInput(f, { channel: 'CARRIER_PIGEON' }) },
  { name: 'missing required type', stage: 'graphql', code: 'BAD_USER_INPUT', message: /type/,
    input: (f) => { const { type: _t, ...rest } = interactionInput(f); return rest; } },
  { name: 'properties that are not a JSON object', stage: 'graphql', code: 'BAD_USER_INPUT', message: /properties/,
    input: (f) => interactionInput(f, { properties: [1, 2, 3] }) },
  { name: 'occurredAt two days in the future', stage: 'service', code: 'BAD_USER_INPUT', message: /occurredAt is in the future/,
    input: (f) => interactionInput(f, { occurredAt: inDays(2) }) },
  { name: 'properties over 16 KiB of JSON', stage: 'service', code: 'BAD_USER_INPUT', message: /properties must be at most 16384 bytes/,
    input: (f) => interactionInput(f, { properties: oversizedJson() }) },
  { name: 'productId that is a Customer id', stage: 'service', code: 'BAD_USER_INPUT', message: /productId is not a valid Product id/,
    input: (f) => interactionInput(f, { productId: f.bob.id }) },
  { name: 'a product that does not exist', stage: 'service', code: 'NOT_FOUND', message: /product not found/,
    input: (f) => interactionInput(f, { productId: gid('Product', NO_SUCH_UUID) }) },
  { name: 'a customer that does not exist', stage: 'service', code: 'NOT_FOUND', message: /customer not found/,
    input: (f) => interactionInput(f, { customerId: gid('Customer', NO_SUCH_UUID) }) },
  { name: 'campaign over 128 characters', stage: 'service', code: 'BAD_USER_INPUT', message: /campaign must be at most 128/,
    input: (f) => interactionInput(f, { campaign: 'c'.repeat(129) }) },
  { name: 'same sourceEventId with a different type', stage: 'service', code: 'CONFLICT', message: /already recorded with different content/,
    input: (f) => interactionInput(f, { sourceEventId: f.event.sourceEventId, occurredAt: f.event.occurredAt, type: 'SEARCH' }) },
  { name: 'same sourceEventId for another customer', stage: 'service', code: 'CONFLICT', message: /already recorded with different content/,
    input: (f) => interactionInput(f, { customerId: f.bob.id, sourceEventId: f.event.sourceEventId, occurredAt: f.event.occurredAt, type: 'PAGE_VIEW' }) },
];

const feedbackCases: BadCase[] = [
  { name: 'score beyond a GraphQL Int', stage: 'graphql', code: 'BAD_USER_INPUT', message: /score/,
    input: (f) => ({ customerId: f.alice.id, kind: 'SURVEY', score: 2 ** 31 }) },
  { name: 'unknown kind enum value', stage: 'graphql', code: 'BAD_USER_INPUT', message: /kind/,
    input: (f) => ({ customerId: f.alice.id, kind: 'STARS', score: 5 }) },
  { name: 'missing required customerId', stage: 'graphql', code: 'BAD_USER_INPUT', message: /customerId/,
    input: () => ({ kind: 'NPS', score: 9 }) },
  { name: 'submittedAt that is not a DateTime', stage: 'graphql', code: 'BAD_USER_INPUT', message: /submittedAt/,
    input: (f) => ({ customerId: f.alice.id, kind: 'NPS', score: 9, submittedAt: 'last tuesday' }) },
  { name: 'NPS score 11', stage: 'service', code: 'BAD_USER_INPUT', message: /score for nps must be 0 to 10/,
    input: (f) => ({ customerId: f.alice.id, kind: 'NPS', score: 11 }) },
  { name: 'CSAT without a score', stage: 'service', code: 'BAD_USER_INPUT', message: /csat feedback needs a score/,
    input: (f) => ({ customerId: f.alice.id, kind: 'CSAT', text: 'fine' }) },
  { name: 'complaint without text', stage: 'service', code: 'BAD_USER_INPUT', message: /text is required/,
    input: (f) => ({ customerId: f.alice.id, kind: 'COMPLAINT', text: '   ' }) },
  { name: 'complaint with a score', stage: 'service', code: 'BAD_USER_INPUT', message: /complaint feedback takes no score/,
    input: (f) => ({ customerId: f.alice.id, kind: 'COMPLAINT', score: 1, text: 'Late delivery' }) },
  { name: 'text over 5000 characters', stage: 'service', code: 'BAD_USER_INPUT', message: /text must be at most 5000/,
    input: (f) => ({ customerId: f.alice.id, kind: 'SUGGESTION', text: 't'.repeat(5001) }) },
  { name: 'submittedAt in the future', stage: 'service', code: 'BAD_USER_INPUT', message: /submittedAt is in the future/,
    input: (f) => ({ customerId: f.alice.id, kind: 'NPS', score: 9, submittedAt: inDays(7) }) },
  { name: 'a product that does not exist', stage: 'service', code: 'NOT_FOUND', message: /product not found/,
    input: (f) => ({ customerId: f.alice.id, kind: 'REVIEW', score: 4, productId: gid('Product', NO_SUCH_UUID) }) },
  { name: 'a customer that was merged into another', stage: 'service', code: 'CONFLICT', message: /merged/,
    input: (f) => ({ customerId: f.merged.id, kind: 'NPS', score: 9 }) },
];

const consentInput = (f: Fixtures, over: Record<string, unknown> = {}) => ({
  customerId: f.alice.id, purpose: 'EMAIL_MARKETING', channel: 'EMAIL', status: 'GRANTED', source: 'preference_centre', policyVersion: 'v3', ...over,
});

const consentCases: BadCase[] = [
  { name: 'unknown purpose enum value', stage: 'graphql', code: 'BAD_USER_INPUT', message: /purpose/,
    input: (f) => consentInput(f, { purpose: 'SPAM' }) },
  { name: 'recordedAt on a day that does not exist (DateTime scalar)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /recordedAt/,
    input: (f) => consentInput(f, { recordedAt: '2026-02-30T10:00:00Z' }) },
  { name: 'missing required source', stage: 'graphql', code: 'BAD_USER_INPUT', message: /source/,
    input: (f) => { const { source: _s, ...rest } = consentInput(f); return rest; } },
  { name: 'null status', stage: 'graphql', code: 'BAD_USER_INPUT', message: /status/,
    input: (f) => consentInput(f, { status: null }) },
  { name: 'empty source', stage: 'service', code: 'BAD_USER_INPUT', message: /source is required/,
    input: (f) => consentInput(f, { source: '' }) },
  { name: 'blank policyVersion', stage: 'service', code: 'BAD_USER_INPUT', message: /policyVersion is required/,
    input: (f) => consentInput(f, { policyVersion: '   ' }) },
  { name: 'LEGITIMATE_INTEREST with status DENIED', stage: 'service', code: 'BAD_USER_INPUT', message: /only a consent-based record can be denied/,
    input: (f) => consentInput(f, { lawfulBasis: 'LEGITIMATE_INTEREST', status: 'DENIED' }) },
  { name: 'recordedAt in the future', stage: 'service', code: 'BAD_USER_INPUT', message: /recordedAt is in the future/,
    input: (f) => consentInput(f, { recordedAt: inDays(3) }) },
  { name: 'source over 64 characters', stage: 'service', code: 'BAD_USER_INPUT', message: /source must be at most 64/,
    input: (f) => consentInput(f, { source: 's'.repeat(65) }) },
  { name: 'customerId that is a Product id', stage: 'service', code: 'BAD_USER_INPUT', message: /customerId is not a valid Customer id/,
    input: (f) => consentInput(f, { customerId: f.book.id }) },
  { name: 'a customer that does not exist', stage: 'service', code: 'NOT_FOUND', message: /customer not found/,
    input: (f) => consentInput(f, { customerId: gid('Customer', NO_SUCH_UUID) }) },
  { name: 'an erased customer', stage: 'service', code: 'NOT_FOUND', message: /customer not found/,
    input: (f) => consentInput(f, { customerId: f.erased.id }) },
];

const TABLE: Array<[MutationName, BadCase[]]> = [
  ['upsertCustomer', customerCases],
  ['upsertProduct', productCases],
  ['recordOrder', orderCases],
  ['recordInteraction', interactionCases],
  ['recordFeedback', feedbackCases],
  ['setConsent', consentCases],
];

/**
 * Regressions: bad inputs that an earlier version mishandled (NUL characters reaching PostgreSQL,
 * fractional minor units truncated and stored, partial idempotency comparisons, unchecked merged traits).
 */
const REGRESSIONS: Array<BadCase & { mutation: MutationName }> = [
  // PostgreSQL refuses NUL (U+0000) in text and jsonb; the DriverException becomes INTERNAL_SERVER_ERROR
  // ("Internal server error", nothing leaked, nothing written), but it is the client's bad input.
  { mutation: 'upsertCustomer', name: 'firstName containing a NUL character', stage: 'graphql', code: 'BAD_USER_INPUT', message: /firstName/,
    input: () => ({ email: 'nul.name@example.com', firstName: 'Ada\u0000Lovelace' }) },
  { mutation: 'upsertProduct', name: 'name containing a NUL character', stage: 'graphql', code: 'BAD_USER_INPUT', message: /name/,
    input: () => ({ sku: 'NUL-NAME', name: 'Thing\u0000', category: 'books', priceMinor: 100, currency: 'EUR' }) },
  { mutation: 'recordInteraction', name: 'properties holding a NUL character', stage: 'graphql', code: 'BAD_USER_INPUT', message: /properties/,
    input: (f) => interactionInput(f, { properties: { q: 'a\u0000b' } }) },
  { mutation: 'recordFeedback', name: 'text containing a NUL character', stage: 'graphql', code: 'BAD_USER_INPUT', message: /text/,
    input: (f) => ({ customerId: f.alice.id, kind: 'COMPLAINT', text: 'broken\u0000' }) },
  { mutation: 'setConsent', name: 'policyVersion containing a NUL character', stage: 'graphql', code: 'BAD_USER_INPUT', message: /policyVersion/,
    input: (f) => consentInput(f, { policyVersion: 'v3\u0000' }) },
  // NonNegativeInt admits any safe integer; order_lines.unit_price_minor is int4 → "value out of range" → INTERNAL_SERVER_ERROR.
  { mutation: 'recordOrder', name: 'unitPriceMinor beyond a 32-bit integer', stage: 'service', code: 'BAD_USER_INPUT', message: /unitPriceMinor/,
    input: (f) => orderInput(f, { lines: [{ productId: f.book.id, quantity: 1, unitPriceMinor: 3_000_000_000 }] }) },
  // graphql-scalars' NonNegativeInt/PositiveInt parse with parseInt(): 12.5 silently becomes 12 and is STORED.
  { mutation: 'upsertProduct', name: 'fractional priceMinor (silently truncated to 12 and stored)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /priceMinor/,
    input: () => ({ sku: 'FRAC-PRICE', name: 'Thing', category: 'books', priceMinor: 12.5, currency: 'EUR' }) },
  { mutation: 'recordOrder', name: 'unitPriceMinor 19.99 (major units by mistake; stored as a 0.19 order)', stage: 'graphql', code: 'BAD_USER_INPUT', message: /unitPriceMinor/,
    input: (f) => orderInput(f, { lines: [{ productId: f.book.id, quantity: 1, unitPriceMinor: 19.99 }] }) },
  // The 16 KiB cap is checked on the incoming traits only; the merged document grows without bound (24 KB here).
  { mutation: 'upsertCustomer', name: 'traits that push the merged traits over 16 KiB', stage: 'service', code: 'BAD_USER_INPUT', message: /traits/,
    input: (f) => ({ email: f.heavy.email, traits: { more: 'y'.repeat(12_000) } }) },
  // The idempotency checks compare only part of the content, so a different payload is answered as a replay.
  { mutation: 'recordOrder', name: 'same externalId + source with different lines but the same total', stage: 'service', code: 'CONFLICT', message: /already recorded with different content/,
    input: (f) => orderInput(f, { externalId: f.order.externalId, source: f.order.source, placedAt: f.order.placedAt, lines: [{ sku: f.gadgetUsd.sku, quantity: 1, unitPriceMinor: 2500 }] }) },
  { mutation: 'recordInteraction', name: 'same sourceEventId with a different product', stage: 'service', code: 'CONFLICT', message: /already recorded with different content/,
    input: (f) => interactionInput(f, { sourceEventId: f.event.sourceEventId, occurredAt: f.event.occurredAt, type: 'PAGE_VIEW', productId: f.gadgetUsd.id }) },
];

// ---------------------------------------------------------------------------------------------

let app: TestApp;
let f: Fixtures;

beforeAll(async () => {
  app = await startTestApp();
  const [alice, bob, merged, erased] = [
    await makeCustomer(app, { identities: [{ kind: 'DEVICE', value: ALICE_DEVICE }] }), await makeCustomer(app), await makeCustomer(app), await makeCustomer(app),
  ];
  await app.sql(`update customers set status = 'merged', merged_into_id = ? where id = ?`, [uuidOf(alice.id), uuidOf(merged.id)]);
  await app.sql(`update customers set status = 'erased' where id = ?`, [uuidOf(erased.id)]);
  const heavy = await makeCustomer(app, { traits: { bulk: 'x'.repeat(12_000) } });
  const book = await makeProduct(app, { priceMinor: 1250, currency: 'EUR' });
  const gadgetUsd = await makeProduct(app, { priceMinor: 999, currency: 'USD' });

  const order = await app.gql(RecordOrderDocument, {
    input: { customerId: alice.id, externalId: 'MV-1', source: 'shop', placedAt: PLACED_AT, channel: 'WEB', currency: 'EUR', lines: [{ productId: book.id, quantity: 2 }] },
  });
  expect(order.errors).toBeUndefined();
  const event = { sourceEventId: 'mv-evt-1', occurredAt: '2026-03-02T08:00:00.000Z' };
  const interaction = await app.gql(RecordInteractionDocument, {
    input: { customerId: alice.id, occurredAt: event.occurredAt, channel: 'WEB', type: 'PAGE_VIEW', productId: book.id, sourceEventId: event.sourceEventId },
  });
  expect(interaction.errors).toBeUndefined();

  f = {
    alice: { id: alice.id, email: alice.email! },
    bob: { id: bob.id, email: bob.email! },
    merged: { id: merged.id },
    heavy: { id: heavy.id, email: heavy.email! },
    erased: { id: erased.id },
    book: { id: book.id, sku: book.sku },
    gadgetUsd: { id: gadgetUsd.id, sku: gadgetUsd.sku },
    order: { id: order.data!.recordOrder.order.id, externalId: 'MV-1', source: 'shop', placedAt: PLACED_AT },
    event,
  };
});

afterAll(async () => {
  await app?.close();
});

/** Internals that must never reach a client: stack frames, SQL, file paths, driver and constraint text. */
const LEAK = /stacktrace|\bselect\b|\binsert\b|\bupdate\s+\w+\s+set\b|\bat \/|node_modules|\.[jt]s:\d+|violates|constraint "|relation "|column "|DriverException|mikro-?orm|pg_advisory|syntax error/i;

async function expectRejectedCleanly(mutation: MutationName, c: BadCase): Promise<void> {
  const before = await databaseDigest(app);
  const res = await app.gql(DOCUMENTS[mutation], { input: c.input(f) });
  const after = await databaseDigest(app);

  // One error, the right code and status, and a message that says what is wrong (one diff shows all three).
  if (!res.errors) throw new Error(`bad input was accepted (HTTP ${res.status}): ${JSON.stringify(res.data).slice(0, 400)}`);
  expect(res.errors).toHaveLength(1);
  const err = res.errors![0];
  expect({ http: res.status, code: err.extensions?.code, message: err.message }).toEqual({
    http: HTTP_STATUS[c.stage],
    code: c.code,
    message: expect.stringMatching(c.message),
  });
  expect(err.message.trim().length).toBeGreaterThan(5);

  // No data: rejected before execution (no `data` key) or the non-null mutation field nulled `data`.
  if (c.stage === 'graphql') expect(res).not.toHaveProperty('data');
  else expect(res.data).toBeNull();
  expect(res.data == null || (res.data as Record<string, unknown>)[mutation] == null).toBe(true);

  // Nothing internal leaks.
  expect(err.extensions).not.toHaveProperty('stacktrace');
  expect(err.extensions).not.toHaveProperty('exception');
  expect(JSON.stringify(res.errors)).not.toMatch(LEAK);

  // And nothing was written, changed or lost.
  expect(after).toBe(before);
}

describe.each(TABLE)('%s rejects bad input cleanly', (mutation, cases) => {
  it.each(cases)('$stage: $name → $code', (c) => expectRejectedCleanly(mutation, c));
});

describe('regressions', () => {
  it.each(REGRESSIONS)('$mutation: $name → $code', (c) => expectRejectedCleanly(c.mutation, c));

  it('recordInteraction: an identical replay whose properties keys are not in jsonb order is a duplicate, not a CONFLICT', async () => {
    // jsonb stores keys sorted ({"a":2,"zeta":1}); the service compares JSON.stringify of stored vs sent.
    const input = interactionInput(f, { sourceEventId: 'mv-key-order-1', type: 'SEARCH', properties: { zeta: 1, a: 2 } });
    const first = await app.gql(DOCUMENTS.recordInteraction, { input });
    expect(first.errors).toBeUndefined();
    const replay = await app.gql(DOCUMENTS.recordInteraction, { input });
    expect(replay.errors).toBeUndefined();
    expect(replay.data!.recordInteraction.duplicate).toBe(true);
  });
});

describe('atomicity of recordOrder', () => {
  async function orderState(customerId: string) {
    const [row] = await app.sql<{ orders: string; lines: string; last_seen_at: string }>(
      `select (select count(*) from orders where customer_id = c.id) orders,
              (select count(*) from order_lines where customer_id = c.id) lines,
              c.last_seen_at::text last_seen_at
       from customers c where c.id = ?`,
      [uuidOf(customerId)],
    );
    return row;
  }

  it('an order failing on its LAST line (unknown sku) writes no order, no line, and leaves last_seen_at alone', async () => {
    const carol = await makeCustomer(app);
    const before = await orderState(carol.id);
    expect(before).toMatchObject({ orders: '0', lines: '0' });
    const digest = await databaseDigest(app);

    const res = await app.gql(RecordOrderDocument, {
      input: {
        customerId: carol.id, externalId: 'MV-ATOMIC-1', source: 'shop', placedAt: new Date().toISOString(), channel: 'STORE', currency: 'EUR',
        lines: [
          { productId: f.book.id, quantity: 2 },
          { sku: f.gadgetUsd.sku, quantity: 1, unitPriceMinor: 900 },
          { sku: 'NO-SUCH-SKU-ANYWHERE', quantity: 1 },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({ message: 'lines[2]: product not found', extensions: { code: 'NOT_FOUND', field: 'lines[2]' } });
    expect(res.data).toBeNull();
    expect(JSON.stringify(res.errors)).not.toMatch(LEAK);

    expect(await orderState(carol.id)).toEqual(before);
    const byExternalId = await app.sql<{ n: string }>(`select count(*) n from orders where external_id = 'MV-ATOMIC-1'`);
    expect(byExternalId[0].n).toBe('0');
    expect(await databaseDigest(app)).toBe(digest);
  });

  it('an order whose LAST line is out of range is refused whole', async () => {
    // Once this reached PostgreSQL after the order row was inserted; it is now refused by validation.
    // Either way no part of the order may survive and no internals may leak.
    const dave = await makeCustomer(app);
    const before = await orderState(dave.id);
    const digest = await databaseDigest(app);

    const res = await app.gql(RecordOrderDocument, {
      input: {
        customerId: dave.id, externalId: 'MV-ATOMIC-2', source: 'shop', placedAt: new Date().toISOString(), channel: 'WEB', currency: 'EUR',
        lines: [
          { productId: f.book.id, quantity: 1 },
          { sku: f.book.sku, quantity: 1, unitPriceMinor: 3_000_000_000 },
        ],
      },
    });
    expect(res.errors).toHaveLength(1);
    expect(res.data).toBeNull();
    expect(res.errors![0].extensions).not.toHaveProperty('stacktrace');
    expect(JSON.stringify(res.errors)).not.toMatch(LEAK);

    expect(await orderState(dave.id)).toEqual(before);
    expect(await databaseDigest(app)).toBe(digest);
  });
});
