import { hash as digestOf, randomUUID } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { DriverException } from '@mikro-orm/core';
import { IdentityKind, InteractionChannel, InteractionType, OrderStatus } from '../entities/enums';
import type { IngestEventOutcome } from '../entities/ingest-event.entity';
import { DomainError, ErrorCode, badInput, conflict } from '../errors/domain-error';
import { isConcurrencyAbort } from '../errors/format-error';
import { expectGlobalId, toGlobalId } from '../schema/global-id';
import { followMerges, suppressedDigests, upsertCustomer, usableIdentifiers, type IdentifierInput, type IgnoredIdentifier, type UpsertCustomerData } from './identify';
import type { MergePolicy } from '../services/merge-policy';
import { defaultKeyring, type Keyring } from '../auth/pseudonyms';
import type { IngestionRights } from './rules';
import { orderContentSql, storedOrderContentSql, priceOrderLines, validateOrder, type PricedProduct, type RecordOrderData } from './orders';
import { countIngestion } from '../observability/ingestion-metrics';
import { checkJsonSize, checkNotFuture, cleanText } from '../services/validation';
import { textArray, uuidArray } from '../services/pagination';

/**
 * ingestEvents: a batch of identify, interaction and order events, each under an idempotency key,
 * stored in ONE transaction with a fixed number of set-based statements for the common case (README
 * "Event ingestion"). Per event the answer is ACCEPTED, DUPLICATE (the key was stored before: the
 * first result is returned) or REJECTED (with code, message and field); a rejected event stores
 * nothing and never takes its valid neighbours with it.
 */
export const MAX_INGEST_EVENTS = 1000;
export const MAX_EVENT_IDENTIFIERS = 20;
const MAX_KEY = 128;
const MAX_ATTEMPTS = 5;

export enum IngestEventKind {
  IDENTIFY = 'IDENTIFY',
  INTERACTION = 'INTERACTION',
  ORDER = 'ORDER',
}

export enum IngestEventStatus {
  ACCEPTED = 'ACCEPTED',
  DUPLICATE = 'DUPLICATE',
  REJECTED = 'REJECTED',
}

/** The profile fields of an IDENTIFY event: those of upsertCustomer, the customer named by the event. */
export type IngestProfileData = Omit<UpsertCustomerData, 'id' | 'identities' | 'source'>;

export interface IngestInteractionData {
  occurredAt: Date;
  channel: InteractionChannel;
  type: InteractionType;
  /** Global Product id, or `sku`. */
  productId?: string | null;
  sku?: string | null;
  campaign?: string | null;
  properties?: Record<string, unknown> | null;
}

/** An ORDER event's order: recordOrder's fields (productId of lines as a global Product id); source and customer are the event's. */
export type IngestOrderData = Omit<RecordOrderData, 'customerId' | 'source'>;

/** One event as the API receives it (ids are global ids). */
export interface IngestEventData {
  kind: IngestEventKind;
  idempotencyKey?: string | null;
  source?: string | null;
  customerId?: string | null;
  identifiers?: IdentifierInput[] | null;
  profile?: IngestProfileData | null;
  interaction?: IngestInteractionData | null;
  order?: IngestOrderData | null;
}

export interface IngestEventError {
  code: ErrorCode;
  message: string;
  field: string | null;
  reason: string | null;
}

/** What became of one event. Ids are database ids. */
interface Outcome {
  status: IngestEventStatus;
  customerId: string | null;
  interactionId: string | null;
  orderId: string | null;
  error: IngestEventError | null;
  /** The error itself, with its details, for adapters that answer one event as a GraphQL error. */
  cause?: DomainError;
  /** An IDENTIFY event stored now: what upsertCustomer answers (created, automatic merges, junk identifiers ignored). */
  identified?: { created: boolean; mergedIds: string[]; ignored: IgnoredIdentifier[] };
}

/** Per event, in request order. */
export interface IngestEventResult extends Outcome {
  index: number;
  idempotencyKey: string | null;
}

export interface IngestOptions {
  policy: MergePolicy;
  /** What this caller may do (rules.ts: the one table); the core enforces it. */
  rights: IngestionRights;
  /**
   * Of these customers (named by customerId, merges followed), the ones this caller may write to; an
   * event naming another is NOT_FOUND, as for an id that does not exist. Default: all.
   */
  mayWriteTo?: (customerIds: string[]) => Promise<Set<string>>;
  /** PSEUDONYM_KEYS of the server (suppressed identifiers); default: the environment's. */
  keyring?: Keyring;
  /** Audits the writes, inside the transaction: the customers written to. */
  audit?: (em: EntityManager, customerIds: string[]) => Promise<void>;
  /**
   * Events may come without an idempotency key (single mutations: an order without externalId, an
   * interaction without sourceEventId). Such an event claims no ledger row and is never a replay.
   */
  keyOptional?: boolean;
  /** Which adapter this is, for the ingestion metrics (README "Observability"). Default: ingestEvents. */
  path?: IngestPath;
}

/** The adapters onto the core, as the `path` label of the ingestion metrics. */
export type IngestPath = 'mutation' | 'ingestEvents' | 'tracking' | 'import';

/** What one attempt wrote, handed to `afterRowsWritten` inside its transaction. */
export interface WrittenRows {
  /** Every customer written to (created, updated, merged into, or given activity), sorted. */
  customerIds: string[];
}

/**
 * THE hook after rows are written, inside the write's transaction, for every path (a mutation is a
 * batch of one): whatever must commit or roll back with the rows goes here - the audit entries. It is
 * handed only the customers written: the outbox events are written by PostgreSQL triggers on the rows
 * themselves, and live updates are published from IngestOutcome.created after the commit. A
 * rolled-back attempt (retry) runs it again with that attempt's rows only.
 */
export async function afterRowsWritten(em: EntityManager, rows: WrittenRows, opts: IngestOptions): Promise<void> {
  if (rows.customerIds.length) await opts.audit?.(em, rows.customerIds);
}

export interface IngestOutcome {
  results: IngestEventResult[];
  /** Rows created, for live subscribers (published by the caller after commit). */
  created: Array<{ kind: 'Interaction' | 'Order'; id: string; customerId: string }>;
  /** Customers this call created (new people), for adapters that count them (the import's summary). */
  customersCreated: number;
  attempts: number;
}

type NormId = { kind: IdentityKind; namespace: string; value: string };

interface Prepared {
  index: number;
  kind: IngestEventKind;
  source: string;
  key: string | null;
  hash: string;
  customerId: string | null;
  /** Identifiers as given (IDENTIFY hands them to upsertCustomer, which normalises them itself). */
  rawIdentifiers: IdentifierInput[];
  identifiers: NormId[];
  profile: IngestProfileData | null;
  interaction: (Omit<IngestInteractionData, 'productId' | 'sku' | 'campaign' | 'properties'> & {
    productId: string | null; sku: string | null; campaign: string | null; properties: Record<string, unknown>;
    /** occurredAt.toISOString(), once: the digest and the statements' JSON both carry it. */
    occurredAtIso: string;
  }) | null;
  order: (Omit<IngestOrderData, 'externalId' | 'status' | 'discountMinor' | 'promoCode'> & {
    externalId: string | null; status: OrderStatus; discountMinor: number; promoCode: string | null;
  }) | null;
}

/** Thrown inside the transaction to start the batch over (a concurrent writer got there first). */
class RetryBatch extends Error {}

const identityKey = (i: NormId) => `${i.kind}\u0000${i.namespace}\u0000${i.value}`;
const eventKey = (source: string, key: string) => `${source}\u0000${key}`;

/** Object keys sorted at every level, so the hash of a document does not depend on the order its keys were sent in. */
/** A JSON value with every object's keys sorted: key order never changes a digest. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * A statement of the batch with its parameters bound by the driver rather than inlined into the
 * text (em.execute inlines): the batch's JSON documents are then neither escaped nor re-read as literals.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function run(em: EntityManager, query: string, params: unknown[]): Promise<any[]> {
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (!trx) throw new Error('ingest statements run inside the batch transaction');
  const res = (await trx.raw(query, params as Knex.RawBinding[])) as { rows: unknown[] };
  return res.rows;
}

/** upsertCustomer's input names → the IDENTIFY event's (single.ts inverts it for the mutation's answers). */
export const UPSERT_FIELDS_AS_EVENT: Readonly<Record<string, string>> = { id: 'customerId', identities: 'identifiers' };

/**
 * `field` with its first segment renamed by `names` (`identities[0].value` → `identifiers[0].value`),
 * or undefined when `names` has no entry for it.
 */
export function renameHead(field: string, names: Readonly<Record<string, string>>): string | undefined {
  const head = fieldHead(field);
  return names[head] !== undefined ? names[head] + field.slice(head.length) : undefined;
}

/** A field path's first segment: `identities` of `identities[0].value`, `address` of `address.country`. */
const fieldHead = (field: string): string => /^[A-Za-z]+/.exec(field)?.[0] ?? field;
const PROFILE_FIELDS = new Set(['firstName', 'lastName', 'email', 'phone', 'birthDate', 'locale', 'address', 'traits']);

/**
 * An error of upsertCustomer, with its field named as the event's input names it: `identities` is the
 * event's `identifiers`, `id` its `customerId`, and the profile's fields are under `profile.` (a client
 * mapping `events[n].<field>` back to what it sent finds the field; ingestOne maps them back again to the
 * mutation's names).
 */
function asEventError(err: DomainError): DomainError {
  const field = err.details.field;
  if (typeof field !== 'string') return err;
  const named = renameHead(field, UPSERT_FIELDS_AS_EVENT) ?? (PROFILE_FIELDS.has(fieldHead(field)) ? `profile.${field}` : field);
  return named === field ? err : new DomainError(err.code, err.message, { ...err.details, field: named });
}

function errorOf(err: DomainError, index: number): IngestEventError {
  const field = typeof err.details.field === 'string' ? err.details.field : typeof err.details.argumentName === 'string' ? err.details.argumentName : null;
  return {
    code: err.code,
    message: err.message,
    field: field ? `events[${index}].${field}` : `events[${index}]`,
    reason: typeof err.details.reason === 'string' ? err.details.reason : null,
  };
}

const rejected = (error: IngestEventError, cause?: DomainError): Outcome => ({ status: IngestEventStatus.REJECTED, customerId: null, interactionId: null, orderId: null, error, cause });

/** The known kinds, channels and types as sets, and the payload field of each kind (prepare). */
const EVENT_KINDS = new Set<string>(Object.values(IngestEventKind));
const CHANNELS = new Set<string>(Object.values(InteractionChannel));
const INTERACTION_TYPES = new Set<string>(Object.values(InteractionType));
const PAYLOADS = [[IngestEventKind.IDENTIFY, 'profile'], [IngestEventKind.INTERACTION, 'interaction'], [IngestEventKind.ORDER, 'order']] as const;

/** Validates and normalises one event in JS (no database): a DomainError here rejects only this event. */
function prepare(e: IngestEventData, index: number, opts: IngestOptions): Prepared {
  if (!EVENT_KINDS.has(e.kind)) throw badInput('kind must be IDENTIFY, INTERACTION or ORDER', 'kind');
  const key = cleanText(e.idempotencyKey, 'idempotencyKey', MAX_KEY);
  if (!key && !opts.keyOptional) throw badInput('every event needs an idempotencyKey (unique per source), so that a retry cannot store it twice', 'idempotencyKey');
  const source = cleanText(e.source, 'source', 64) ?? 'api';
  for (const [kind, field] of PAYLOADS) {
    if (kind !== e.kind && e[field] != null) throw badInput(`a ${e.kind} event carries no ${field}`, field);
  }
  if (e.kind === IngestEventKind.IDENTIFY && !opts.rights.mayIdentify) {
    throw new DomainError(ErrorCode.FORBIDDEN, 'IDENTIFY events create and update profiles: they need the upsertCustomer permission (admin or support) or, for an API key, the profiles:write scope', { field: 'kind' });
  }
  const customerId = e.customerId ? expectGlobalId(e.customerId, 'Customer', 'customerId') : null;
  const rawIdentifiers = e.identifiers ?? [];
  if (rawIdentifiers.length > MAX_EVENT_IDENTIFIERS) throw badInput(`an event carries at most ${MAX_EVENT_IDENTIFIERS} identifiers`, 'identifiers');
  if (rawIdentifiers.length > 1 && !opts.rights.mayLink) {
    throw new DomainError(ErrorCode.FORBIDDEN, 'name the customer by one identifier or by customerId: linking identifiers to a customer is for admin, support and API keys with profiles:write', { field: 'identifiers', reason: 'LINKING' });
  }
  // Junk values (the merge policy's blocklist) are neither matched nor stored, as in upsertCustomer.
  const identifiers = [...new Map(usableIdentifiers(opts.policy, rawIdentifiers, 'identifiers', () => {})
    .map((i) => [identityKey(i), i])).values()].sort((a, b) => (identityKey(a) < identityKey(b) ? -1 : 1));

  const p: Prepared = { index, kind: e.kind, source, key: key ?? null, hash: '', customerId, rawIdentifiers, identifiers, profile: null, interaction: null, order: null };
  if (e.kind === IngestEventKind.IDENTIFY) {
    p.profile = e.profile ?? {};
  } else {
    if (customerId && rawIdentifiers.length) throw badInput('name the customer by customerId or by identifiers, not both', 'identifiers');
    if (!customerId && !identifiers.length) {
      if (rawIdentifiers.length) {
        throw new DomainError(ErrorCode.BAD_USER_INPUT, "every identifier given is a junk value on the merge policy's blocklist", { field: 'identifiers', reason: 'BLOCKLISTED' });
      }
      throw badInput('name the customer by customerId or by identifiers', 'customerId');
    }
  }
  if (e.kind === IngestEventKind.INTERACTION) {
    const i = e.interaction;
    if (!i) throw badInput('an INTERACTION event needs interaction', 'interaction');
    if (!(i.occurredAt instanceof Date)) throw badInput('interaction.occurredAt is required', 'interaction.occurredAt');
    checkNotFuture(i.occurredAt, 'interaction.occurredAt');
    if (!CHANNELS.has(i.channel)) throw badInput('interaction.channel is not a known channel', 'interaction.channel');
    if (!INTERACTION_TYPES.has(i.type)) throw badInput('interaction.type is not a known type', 'interaction.type');
    if (i.productId && i.sku) throw badInput('name the product by productId or by sku, not both', 'interaction.sku');
    checkJsonSize(i.properties, 'interaction.properties');
    p.interaction = {
      occurredAt: i.occurredAt, channel: i.channel, type: i.type,
      productId: i.productId ? expectGlobalId(i.productId, 'Product', 'interaction.productId') : null,
      sku: cleanText(i.sku, 'interaction.sku', 64) ?? null,
      campaign: cleanText(i.campaign, 'interaction.campaign', 128) ?? null,
      properties: i.properties ?? {},
      occurredAtIso: i.occurredAt.toISOString(),
    };
  }
  if (e.kind === IngestEventKind.ORDER) {
    const o = e.order;
    if (!o) throw badInput('an ORDER event needs order', 'order');
    const lines = (o.lines ?? []).map((l, n) => ({ ...l, productId: l.productId ? expectGlobalId(l.productId, 'Product', `order.lines[${n}].productId`) : null }));
    let checked: ReturnType<typeof validateOrder>;
    try {
      checked = validateOrder({ ...o, source, lines });
    } catch (err) {
      throw err instanceof DomainError ? underOrder(err) : err;
    }
    // The order number defaults to the idempotency key: the orders table's own natural key then guards it too.
    p.order = { ...o, lines, externalId: checked.externalId ?? key ?? null, status: checked.status, discountMinor: checked.discountMinor, promoCode: checked.promoCode };
  }
  // Built in a fixed key order; only documents the sender wrote (profile, properties) need sorting.
  // The interaction's time as its ISO string: the bytes JSON.stringify writes for the Date (so the
  // digests of keys stored before are unchanged), without the Date's toJSON, which takes
  // JSON.stringify off its fast path (twice the time, measured on the bench's events).
  const pi = p.interaction;
  const canonical = {
    kind: p.kind, customerId, identifiers, profile: p.profile && sortKeys(p.profile),
    interaction: pi && {
      occurredAt: pi.occurredAtIso, channel: pi.channel, type: pi.type, productId: pi.productId, sku: pi.sku, campaign: pi.campaign, properties: sortKeys(pi.properties),
    },
    order: p.order,
  };
  // One-shot digest (crypto.hash): the same bytes as createHash(…).update(…).digest(), without a Hash object per event.
  p.hash = digestOf('sha256', JSON.stringify(canonical), 'base64');
  return p;
}

/**
 * The content digest the core compares a replayed key against (ingest_events.content_hash), for an
 * adapter that writes rows itself on a fast path (the import's direct COPY) and must ledger them as
 * the core would. Throws the DomainError the core would reject the event with.
 */
export function eventContentHash(e: IngestEventData, opts: Pick<IngestOptions, 'policy' | 'rights' | 'keyOptional'>): string {
  return prepare(e, 0, opts as IngestOptions).hash;
}

/** An error of the order checks shared with recordOrder, its field put under the event's `order`. */
function underOrder(err: DomainError): DomainError {
  return typeof err.details.field === 'string' ? new DomainError(err.code, err.message, { ...err.details, field: `order.${err.details.field}` }) : err;
}

function isRetryable(err: unknown): boolean {
  if (err instanceof RetryBatch) return true;
  const code = (err as { code?: string } | null)?.code ?? (err instanceof DriverException ? (err as { sqlState?: string }).sqlState : undefined);
  // unique_violation (a concurrent batch created the same identity), serialization_failure, deadlock_detected
  return code === '23505' || isConcurrencyAbort(err);
}

/** A counting semaphore: at most `size` holders, the others wait in arrival order. */
class Slots {
  private held = 0;
  private readonly queue: Array<() => void> = [];
  constructor(public size: number) {}

  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.held++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.held--;
          this.queue.shift()?.();
        });
      };
      if (this.held < this.size) grant();
      else this.queue.push(grant);
    });
  }
}

/**
 * How many batches write at once in this process (INGEST_CONCURRENT_BATCHES, default 8; README
 * "Performance"): back-pressure, so that a burst of batch requests queues here instead of holding a
 * pooled connection each and contending in PostgreSQL for the same index pages, row locks and WAL.
 * Measured under load on two cores, a cap of 2 against 8 made no difference to CPU per event; its
 * gain on a quiet machine is not measured yet.
 */
const batchSlots = new Slots(8);

/** Sets the number of batches that may write at once (the server applies INGEST_CONCURRENT_BATCHES). */
export function setIngestConcurrency(batches: number): void {
  batchSlots.size = Math.max(1, Math.floor(batches));
}

export async function ingestEvents(em: EntityManager, events: IngestEventData[], opts: IngestOptions): Promise<IngestOutcome> {
  if (events.length > MAX_INGEST_EVENTS) throw badInput(`at most ${MAX_INGEST_EVENTS} events per call; split the batch`, 'events');
  const outcomes = new Map<number, Outcome>();
  const prepared: Prepared[] = [];
  // Within the batch: a repeated key is a replay of its first occurrence (same content) or a conflict.
  const firstOfKey = new Map<string, Prepared>();
  const sameAs = new Map<number, number>();
  events.forEach((e, index) => {
    let p: Prepared;
    try {
      p = prepare(e, index, opts);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcomes.set(index, rejected(errorOf(err, index), err));
      return;
    }
    if (!p.key) {
      prepared.push(p);
      return;
    }
    const first = firstOfKey.get(eventKey(p.source, p.key));
    if (!first) {
      firstOfKey.set(eventKey(p.source, p.key), p);
      prepared.push(p);
    } else if (first.hash === p.hash) {
      sameAs.set(index, first.index);
    } else {
      const err = conflict(`idempotencyKey "${p.key}" is used by event ${first.index} of this batch for a different event`, { field: 'idempotencyKey' });
      outcomes.set(index, rejected(errorOf(err, index), err));
    }
  });

  let attempts = 0;
  let created: IngestOutcome['created'] = [];
  let customersCreated = 0;
  // A batch of several events that opens its own transaction waits for a slot (batchSlots): batches
  // past the machine's cores only contend in PostgreSQL. A single write, or a call inside a
  // transaction of its caller (which may hold locks a slot holder waits for), never waits.
  const release = prepared.length > 1 && !em.isInTransaction() ? await batchSlots.acquire() : null;
  if (prepared.length) {
    try {
      for (;;) {
        attempts++;
        try {
          const runs = await em.transactional(async (tem) => {
            const done = [];
            for (const segment of segments(prepared)) done.push(await processBatch(tem as EntityManager, segment, opts));
            return done;
          });
          for (const run of runs) for (const [i, o] of run.outcomes) outcomes.set(i, o);
          created = runs.flatMap((r) => r.created);
          customersCreated = runs.reduce((n, r) => n + r.customersCreated, 0);
          break;
        } catch (err) {
          if (attempts >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
          await new Promise((r) => setTimeout(r, 10 * attempts + Math.random() * 40));
        }
      }
    } finally {
      release?.();
    }
  }
  for (const [later, first] of sameAs) {
    const o = outcomes.get(first)!;
    outcomes.set(later, o.status === IngestEventStatus.ACCEPTED ? { ...o, status: IngestEventStatus.DUPLICATE } : o.status === IngestEventStatus.REJECTED ? rejected({ ...o.error!, field: o.error!.field?.replace(`events[${first}]`, `events[${later}]`) ?? null }) : o);
  }
  const results = events.map((e, index): IngestEventResult => {
    const o = outcomes.get(index)!;
    return { index, idempotencyKey: cleanKey(e.idempotencyKey), ...o };
  });
  countIngestion(opts.path ?? 'ingestEvents', results, attempts);
  return { results, created, customersCreated, attempts };
}

/**
 * A batch takes its IDENTIFY events before its activity (processBatch's phases). Where an IDENTIFY
 * names an identifier or customer that an earlier activity event of the batch named, that order
 * matters (the activity may link the identifier first): the batch is cut there and the parts run one
 * after the other in the same transaction, so that a batch answers as its events sent one by one.
 */
function segments(prepared: Prepared[]): Prepared[][] {
  const out: Prepared[][] = [[]];
  let named = new Set<string>();
  for (const p of prepared) {
    const keys = [...p.identifiers.map(identityKey), ...(p.customerId ? [`id:${p.customerId}`] : [])];
    if (p.kind === IngestEventKind.IDENTIFY && keys.some((k) => named.has(k))) {
      out.push([]);
      named = new Set();
    }
    out[out.length - 1].push(p);
    if (p.kind !== IngestEventKind.IDENTIFY) for (const k of keys) named.add(k);
  }
  return out;
}

function cleanKey(k: string | null | undefined): string | null {
  return typeof k === 'string' ? k.trim().slice(0, MAX_KEY) || null : null;
}

/**
 * What the identities say of an event's identifiers (`owner`: identity key → customer): the one
 * customer they all belong to; null when none of them is known (a new person); undefined when they
 * name several customers, or some are known and some not (or there are none). Allocates nothing: it
 * runs for every event of a batch, twice.
 */
function ownersOf(p: Prepared, owner: Map<string, string>): string | null | undefined {
  let only: string | null | undefined;
  for (let n = 0; n < p.identifiers.length; n++) {
    const o = owner.get(identityKey(p.identifiers[n])) ?? null;
    if (n === 0) only = o;
    else if (o !== only) return undefined;
  }
  return only;
}

/** One attempt at the batch, inside its transaction. Returns the outcome of every prepared event. */
async function processBatch(em: EntityManager, prepared: Prepared[], opts: IngestOptions): Promise<{ outcomes: Map<number, Outcome>; created: IngestOutcome['created']; customersCreated: number }> {
  const outcomes = new Map<number, Outcome>();
  let customersCreated = 0;
  const reject = (p: Prepared, err: DomainError) => outcomes.set(p.index, rejected(errorOf(err, p.index), err));
  const written = new Set<string>();

  // 0. Who the activity events named by identifiers are, as far as the identities say now (one
  //    lookup for all; step 3 uses it unless an IDENTIFY event of this batch may have changed them).
  const ownerOf = (rows: Array<{ kind: IdentityKind; namespace: string; value: string; customer_id: string }>) => new Map(rows.map((r) => [identityKey(r), r.customer_id]));
  const lookUpIdentifiers = async (events: Prepared[]) => {
    const wanted = [...new Map(events.flatMap((p) => p.identifiers).map((i) => [identityKey(i), i])).values()];
    return ownerOf(await run(em,
      `select i.kind, i.namespace, i.value, i.customer_id
       from jsonb_to_recordset(?::jsonb) as u(kind text, namespace text, value text)
       join identities i on i.kind = u.kind and i.namespace = u.namespace and i.value = u.value`,
      [JSON.stringify(wanted)],
    ));
  };
  const namedByIdentifiers = prepared.filter((p) => p.kind !== IngestEventKind.IDENTIFY && !p.customerId);
  let owner = namedByIdentifiers.length ? await lookUpIdentifiers(namedByIdentifiers) : new Map<string, string>();
  /** The one known customer all of an event's identifiers belong to, else undefined. */
  const soleOwner = (p: Prepared): string | undefined => ownersOf(p, owner) ?? undefined;

  // 1. Claim every key, sorted (concurrent batches then wait on each other in one order). A key
  //    another transaction holds makes this statement wait until it commits or rolls back. The claim
  //    carries the customer the event will most likely be stored for (customer_id, the erasure index)
  //    and, for an interaction of such a customer, the result it will most likely get (its id is
  //    chosen here): in the common case the claim is already the ledger row, and nothing rewrites it.
  //    Where the batch decides otherwise (another customer, a replay, a rejection), step 8 writes the
  //    result or releases the claim before the commit: no other transaction ever sees a prediction.
  const keyed = prepared.filter((p): p is Prepared & { key: string } => p.key !== null);
  const predicted = new Map<number, { customerId: string; interactionId: string | null }>();
  const claims = JSON.stringify(keyed.map((p) => {
    const customerId = p.customerId ?? (p.kind === IngestEventKind.IDENTIFY ? undefined : soleOwner(p));
    if (!customerId) return { source: p.source, key: p.key, kind: p.kind, hash: p.hash };
    const interactionId = p.kind === IngestEventKind.INTERACTION ? randomUUID() : null;
    predicted.set(p.index, { customerId, interactionId });
    return { source: p.source, key: p.key, kind: p.kind, hash: p.hash, customer_id: customerId, ...(interactionId ? { interaction_id: interactionId } : {}) };
  }));
  // Answers the keys NOT claimed (stored before, or by a concurrent batch): in the common case none,
  // instead of every key of the batch.
  const missedRows: Array<{ source: string; idempotency_key: string }> = !keyed.length ? [] : await run(em,
    `with r as (select * from jsonb_to_recordset(?::jsonb) as r(source text, key text, kind text, hash text, customer_id uuid, interaction_id uuid)),
          c as (insert into ingest_events (source, idempotency_key, kind, content_hash, customer_id, result)
                select r.source, r.key, r.kind, r.hash, r.customer_id,
                       case when r.interaction_id is not null
                            then jsonb_build_object('status', 'ACCEPTED', 'customerId', r.customer_id, 'interactionId', r.interaction_id, 'orderId', null) end
                from r
                order by r.source collate "C", r.key collate "C"
                on conflict do nothing
                returning source, idempotency_key)
     select r.source, r.key as idempotency_key from r where not exists (select 1 from c where c.source = r.source and c.idempotency_key = r.key)`,
    [claims],
  );
  const missed = new Set(missedRows.map((r) => eventKey(r.source, r.idempotency_key)));
  const replays = keyed.filter((p) => missed.has(eventKey(p.source, p.key)));
  if (replays.length) {
    const stored: Array<{ source: string; idempotency_key: string; content_hash: string; result: IngestEventOutcome | null }> = await run(em, 
      `select e.source, e.idempotency_key, e.content_hash, e.result
       from ingest_events e join jsonb_to_recordset(?::jsonb) as r(source text, key text) on e.source = r.source and e.idempotency_key = r.key`,
      [JSON.stringify(replays.map((p) => ({ source: p.source, key: p.key })))],
    );
    const byKey = new Map(stored.map((s) => [eventKey(s.source, s.idempotency_key), s]));
    for (const p of replays) {
      const s = byKey.get(eventKey(p.source, p.key));
      // Claimed and released by a concurrent batch between our two statements: start over.
      if (!s || !s.result) throw new RetryBatch();
      if (s.content_hash !== p.hash) {
        reject(p, conflict(`idempotencyKey "${p.key}" of source "${p.source}" was already recorded with different content`, { field: 'idempotencyKey', reason: 'KEY_REUSED' }));
      } else {
        outcomes.set(p.index, {
          status: IngestEventStatus.DUPLICATE, customerId: s.result.customerId, interactionId: s.result.interactionId ?? null, orderId: s.result.orderId ?? null, error: null,
        });
      }
    }
  }
  const live = prepared.filter((p) => p.key === null || !missed.has(eventKey(p.source, p.key)));
  const target = new Map<number, string>();
  const collect = async (_em: EntityManager, customerId: string | null) => {
    if (customerId) written.add(customerId);
  };
  const upsertOptions = { policy: opts.policy, allowMerge: opts.rights.mayMerge, revealOwners: opts.rights.revealOwners, keyring: opts.keyring };

  // 2. IDENTIFY events, in request order, each in a savepoint: through upsertCustomer, with every
  //    rule of a single write (matching, merge policy, limits, suppression, provenance).
  //    A merged profile's id reaches its survivor, as for activity events (one statement for all).
  const identify = live.filter((q) => q.kind === IngestEventKind.IDENTIFY);
  const named = [...new Set(identify.map((p) => p.customerId).filter((id): id is string => id != null))];
  const current = named.length ? await lockCustomers(em, named) : new Map<string, string>();
  for (const p of identify) {
    try {
      const id = p.customerId ? current.get(p.customerId) : undefined;
      if (p.customerId && !id) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'customerId' });
      const r = await upsertCustomer(em, { ...p.profile, id, identities: p.rawIdentifiers, source: p.source }, collect, upsertOptions);
      if (r.created) customersCreated++;
      outcomes.set(p.index, {
        status: IngestEventStatus.ACCEPTED, customerId: r.customer.id, interactionId: null, orderId: null, error: null,
        identified: { created: r.created, mergedIds: r.mergedIds, ignored: r.ignored },
      });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      reject(p, asEventError(err));
    }
  }

  // 3. Activity events named by identifiers: one lookup for all. Every identifier known and all of
  //    one customer is the fast path; anything else (new person, new identifier, two profiles) goes
  //    through upsertCustomer like an identify call carrying just those identifiers.
  const activity = live.filter((p) => p.kind !== IngestEventKind.IDENTIFY);
  const byIdentifiers = activity.filter((p) => !p.customerId);
  const slow: Prepared[] = [];
  if (byIdentifiers.length) {
    // An IDENTIFY event stored above may have linked, moved or merged identities: look again.
    if (identify.length) owner = await lookUpIdentifiers(byIdentifiers);
    const unknown: Prepared[] = [];
    for (const p of byIdentifiers) {
      const only = ownersOf(p, owner);
      if (only) target.set(p.index, only);
      else if (only === null) unknown.push(p);
      else slow.push(p);
    }
    if (unknown.length) {
      const before = new Set(target.values());
      // Identifiers the per-event path may link to a known customer first: a new person holding one is
      // not created in bulk (sent one by one, the earlier event would have linked it).
      const linking = new Set(slow.flatMap((p) => p.identifiers.map(identityKey)));
      slow.push(...(await createNewPeople(em, unknown, opts.policy, opts.keyring ?? defaultKeyring(), target, collect, linking)));
      customersCreated += new Set([...target.values()].filter((id) => !before.has(id))).size;
    }
    slow.sort((a, b) => a.index - b.index);
  }
  for (const p of slow) {
    try {
      const r = await upsertCustomer(em, { identities: p.rawIdentifiers, source: p.source }, collect, upsertOptions);
      if (r.created) customersCreated++;
      target.set(p.index, r.customer.id);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      reject(p, asEventError(err));
    }
  }
  for (const p of activity) if (p.customerId) target.set(p.index, p.customerId);

  // 4. Key-share lock the customers written to, and follow merges to the surviving profile: a source
  //    holding an old id still reaches the person. The lock waits for a merge or an erasure in
  //    progress (they lock FOR UPDATE) but not for other batches. Erased or unknown: rejected.
  const resolved = await lockCustomers(em, [...new Set(target.values())]);
  const byId = activity.filter((p) => p.customerId && !outcomes.has(p.index)).map((p) => resolved.get(p.customerId!)).filter((id): id is string => !!id);
  const writable = opts.mayWriteTo && byId.length ? await opts.mayWriteTo([...new Set(byId)]) : null;
  const pending: Prepared[] = [];
  for (const p of activity) {
    if (outcomes.has(p.index)) continue;
    const id = resolved.get(target.get(p.index)!);
    if (!id || (writable && p.customerId && !writable.has(id))) {
      reject(p, new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: p.customerId ? 'customerId' : 'identifiers' }));
      continue;
    }
    target.set(p.index, id);
    pending.push(p);
  }

  // 5. Products of interactions and order lines: one lookup.
  const productIds = new Set<string>();
  const skus = new Set<string>();
  for (const p of pending) {
    if (p.interaction?.productId) productIds.add(p.interaction.productId);
    if (p.interaction?.sku) skus.add(p.interaction.sku);
    for (const l of p.order?.lines ?? []) {
      if (l.productId) productIds.add(l.productId);
      if (l.sku) skus.add(l.sku);
    }
  }
  const products: PricedProduct[] = productIds.size || skus.size
    ? await run(em, 
        `select id, sku, price_minor as "priceMinor", currency from products where id = any(?::uuid[]) or sku = any(?::text[])`,
        [uuidArray([...productIds]), textArray([...skus])],
      )
    : [];
  const productById = new Map(products.map((p) => [p.id, { ...p, priceMinor: Number(p.priceMinor) }]));
  const productBySku = new Map([...productById.values()].map((p) => [p.sku, p]));

  const createdRows: IngestOutcome['created'] = [];
  // Per customer, its earliest and latest time in the batch, with their ISO strings (the statement's JSON).
  const seen = new Map<string, { first: number; firstIso: string; last: number; lastIso: string }>();
  const touch = (customerId: string, at: Date, iso = at.toISOString()) => {
    const s = seen.get(customerId);
    const t = at.getTime();
    if (!s) {
      seen.set(customerId, { first: t, firstIso: iso, last: t, lastIso: iso });
      return;
    }
    if (t < s.first) {
      s.first = t;
      s.firstIso = iso;
    }
    if (t > s.last) {
      s.last = t;
      s.lastIso = iso;
    }
  };

  // 6. Orders: priced in JS, then checked against orders already stored under the same number, then
  //    inserted with their lines in two statements.
  const orders = await storeOrders(em, pending.filter((p) => p.order), target, productById, productBySku, outcomes, reject);
  for (const o of orders) {
    createdRows.push({ kind: 'Order', id: o.orderId, customerId: o.customerId });
    touch(o.customerId, o.placedAt);
  }

  // 7. Interactions: one insert; keys stored before (recordInteraction, import) are compared, not duplicated.
  const interactions = pending.filter((p) => p.interaction && !outcomes.has(p.index));
  const rows = [];
  const ledgered = new Set<number>();
  for (const p of interactions) {
    const i = p.interaction!;
    let productId = i.productId;
    if (productId && !productById.has(productId)) {
      reject(p, new DomainError(ErrorCode.NOT_FOUND, 'product not found', { field: 'interaction.productId' }));
      continue;
    }
    if (i.sku) {
      const product = productBySku.get(i.sku);
      if (!product) {
        reject(p, new DomainError(ErrorCode.NOT_FOUND, `no product has sku "${i.sku}"`, { field: 'interaction.sku' }));
        continue;
      }
      productId = product.id;
    }
    rows.push({
      p, row: {
        // Ids chosen here: a row without a sourceEventId has no natural key to find it back by.
        id: predicted.get(p.index)?.interactionId ?? randomUUID(), customer_id: target.get(p.index)!, occurred_at: i.occurredAtIso, channel: i.channel, type: i.type,
        // Absent keys read as null in jsonb_to_recordset: fewer bytes on the wire.
        ...(productId ? { product_id: productId } : {}), ...(i.campaign ? { campaign: i.campaign } : {}),
        properties: i.properties, source: p.source, source_event_id: p.key,
      } as { id: string; customer_id: string; source: string; source_event_id: string | null } & Record<string, unknown>,
    });
  }
  if (rows.length) {
    const cols = `r(id uuid, customer_id uuid, occurred_at timestamptz, channel text, type text, product_id uuid, campaign text, properties jsonb, source text, source_event_id text)`;
    // The sender's keys, claimed in one statement (sorted: concurrent batches wait on each other in one
    // order); a key another interaction holds is skipped, as the per-row claim trigger would skip its
    // row. The insert below then tells that trigger the keys are claimed (rapport.event_keys_claimed,
    // Migration20261206110000) instead of running an INSERT … ON CONFLICT per row.
    const keyedRows = rows.filter((r) => r.row.source_event_id !== null);
    let toInsert = rows;
    if (keyedRows.length) {
      // Answers the rows whose key was NOT claimed (in the common case none).
      const [{ missed: held }]: Array<{ missed: string[] }> = await run(em,
        `with r as (select * from jsonb_to_recordset(?::jsonb) as r(source text, source_event_id text, id uuid, occurred_at timestamptz)),
              c as (insert into interaction_event_keys (source, source_event_id, interaction_id, occurred_at)
                    select r.source, r.source_event_id, r.id, r.occurred_at from r
                    order by r.source collate "C", r.source_event_id collate "C"
                    on conflict do nothing
                    returning interaction_id)
         select array(select r.id::text from r where not exists (select 1 from c where c.interaction_id = r.id)) as missed,
                set_config('rapport.event_keys_claimed', 'on', true)`,
        [JSON.stringify(keyedRows.map((r) => ({ source: r.row.source, source_event_id: r.row.source_event_id, id: r.row.id, occurred_at: r.row.occurred_at })))],
      );
      if (held.length) {
        const skipped = new Set(held);
        toInsert = rows.filter((r) => r.row.source_event_id === null || !skipped.has(r.row.id));
      }
    }
    // Every row of toInsert is stored or the statement fails: its keys are claimed by this batch (or
    // it has none), and nothing else skips a row. Where the keys were claimed, the same statement
    // switches the trigger back on for later writers of the transaction, once every row is in: a
    // CASE evaluates its condition (which reads the whole insert) before its result.
    const insert = `insert into interactions (id, customer_id, occurred_at, channel, type, product_id, campaign, properties, source, source_event_id)
       select r.id, r.customer_id, r.occurred_at, r.channel, r.type, r.product_id, r.campaign, r.properties, r.source, r.source_event_id
       from jsonb_to_recordset(?::jsonb) as ${cols}`;
    if (toInsert.length || keyedRows.length) {
      await run(em, !keyedRows.length ? insert
        : `with ins as (${insert} returning 1)
           select case when (select count(*) from ins) >= 0 then set_config('rapport.event_keys_claimed', 'off', true) end`,
      [JSON.stringify(toInsert.map((r) => r.row))]);
    }
    const ids = new Set(toInsert.map((r) => r.row.id));
    const existing = rows.filter((r) => !ids.has(r.row.id));
    for (const { p, row } of rows) {
      const id = row.id;
      if (!ids.has(id)) continue;
      outcomes.set(p.index, { status: IngestEventStatus.ACCEPTED, customerId: row.customer_id, interactionId: id, orderId: null, error: null });
      // The claim already holds this result (step 1) unless the customer turned out to be another one
      // (the row's id is always the claim's: the rows take their ids from `predicted`).
      if (predicted.get(p.index)?.customerId === row.customer_id) ledgered.add(p.index);
      createdRows.push({ kind: 'Interaction', id, customerId: row.customer_id });
      touch(row.customer_id, p.interaction!.occurredAt, p.interaction!.occurredAtIso);
    }
    if (existing.length) {
      // Compared in SQL: jsonb equality ignores key order, as a replayed document may reorder keys.
      const matches: Array<{ id: string; source: string; source_event_id: string; customer_id: string; same: boolean }> = await run(em, 
        `select i.id, i.source, i.source_event_id, i.customer_id,
                (i.customer_id = r.customer_id and i.type = r.type and i.channel = r.channel and i.occurred_at = r.occurred_at
                 and i.product_id is not distinct from r.product_id and i.campaign is not distinct from r.campaign and i.properties = r.properties) as same
         from jsonb_to_recordset(?::jsonb) as ${cols}
         join interaction_event_keys k on k.source = r.source and k.source_event_id = r.source_event_id
         join interactions i on i.id = k.interaction_id and i.occurred_at = k.occurred_at`,
        [JSON.stringify(existing.map((r) => r.row))],
      );
      const byKey = new Map(matches.map((m) => [eventKey(m.source, m.source_event_id), m]));
      for (const { p, row } of existing) {
        const m = byKey.get(eventKey(row.source, row.source_event_id!));
        if (!m) throw new RetryBatch();
        if (m.same) outcomes.set(p.index, { status: IngestEventStatus.DUPLICATE, customerId: m.customer_id, interactionId: m.id, orderId: null, error: null });
        else reject(p, conflict(`an interaction with sourceEventId "${p.key}" of source "${p.source}" was already recorded with different content`, { field: 'idempotencyKey', reason: 'KEY_REUSED' }));
      }
    }
  }

  for (const o of outcomes.values()) if (o.status === IngestEventStatus.ACCEPTED && o.customerId) written.add(o.customerId);

  // 8. The ledger: results of what was stored; the claims of rejected events are released, so that
  //    a corrected resend under the same key is evaluated afresh.
  const stored = live.filter((p) => p.key !== null && !ledgered.has(p.index) && outcomes.get(p.index)?.status !== IngestEventStatus.REJECTED);
  const released = live.filter((p) => p.key !== null && outcomes.get(p.index)?.status === IngestEventStatus.REJECTED);
  if (stored.length) {
    await run(em, 
      `update ingest_events e set result = r.result, customer_id = (r.result ->> 'customerId')::uuid
       from jsonb_to_recordset(?::jsonb) as r(source text, key text, result jsonb) where e.source = r.source and e.idempotency_key = r.key`,
      [JSON.stringify(stored.map((p) => {
        const o = outcomes.get(p.index)!;
        const result: IngestEventOutcome = { status: o.status as IngestEventOutcome['status'], customerId: o.customerId, interactionId: o.interactionId, orderId: o.orderId };
        return { source: p.source, key: p.key, result };
      }))],
    );
  }
  if (released.length) {
    await run(em, 
      `delete from ingest_events e using jsonb_to_recordset(?::jsonb) as r(source text, key text) where e.source = r.source and e.idempotency_key = r.key`,
      [JSON.stringify(released.map((p) => ({ source: p.source, key: p.key })))],
    );
  }
  await afterRowsWritten(em, { customerIds: [...written].sort() }, opts);

  // 9. First/last seen of every customer written, in one statement, last: its row locks are the
  //    ones other batches of the same customers wait for, so they are held only until the commit.
  if (seen.size) {
    await run(em, 
      // Row locks taken in id order (the locking subquery), so concurrent batches cannot deadlock here;
      // rows the batch would not change are neither locked nor rewritten.
      `with r as (select * from jsonb_to_recordset(?::jsonb) as r(id uuid, first_at timestamptz, last_at timestamptz)),
            l as (select c.id from customers c join r on r.id = c.id
                  where c.first_seen_at > r.first_at or c.last_seen_at < r.last_at order by c.id for no key update of c)
       update customers c set first_seen_at = least(c.first_seen_at, r.first_at), last_seen_at = greatest(c.last_seen_at, r.last_at)
       from r join l on l.id = r.id where c.id = r.id`,
      [JSON.stringify([...seen].map(([id, s]) => ({ id, first_at: s.firstIso, last_at: s.lastIso })))],
    );
  }
  return { outcomes, created: createdRows, customersCreated };
}

/**
 * People no identifier of the batch knows yet, created in bulk: events sharing an identifier become
 * one customer (union-find), with every identifier of its events. What a single write would refuse
 * or decide differently - an identifier of an erased customer (suppressed), more identifiers of a
 * kind than MERGE_POLICY.limits allows, an identifier that an event on the upsertCustomer path also
 * carries (`linking`: that event may link it to a known customer, in request order) - is returned for
 * the upsertCustomer path, which explains or decides it as a single write would.
 * A concurrent writer creating one of these identities makes the insert fail: the batch starts over.
 */
async function createNewPeople(
  em: EntityManager, events: Prepared[], policy: MergePolicy, keyring: Keyring, target: Map<number, string>,
  collect: (em: EntityManager, customerId: string | null) => Promise<void>, linking: Set<string>,
): Promise<Prepared[]> {
  const hit = await suppressedDigests(em, keyring, events.flatMap((p) => p.identifiers), (sql, params) => run(em, sql, params));
  const suppressed = new Set([...hit].map(identityKey));
  const slow: Prepared[] = [];
  // Union-find over identifier keys: events that share one are the same new person.
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  const usable = events.filter((p) => (p.identifiers.some((i) => suppressed.has(identityKey(i))) ? (slow.push(p), false) : true));
  // Such an event goes to the per-event path, where a caller who may not learn whose an identifier is
  // writes it to the profile holding its other identifiers (identify.ts): a new person holding one of them
  // takes that path too, so that the events are decided in request order, as one by one (made in bulk
  // first, a later event's new profile would take an earlier event that, sent alone, was refused).
  const withSuppressed = new Set(slow.flatMap((p) => p.identifiers.map(identityKey)));
  for (const p of usable) {
    const keys = p.identifiers.map(identityKey);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) {
      const a = find(keys[0]);
      const b = find(k);
      if (a !== b) parent.set(b, a);
    }
  }
  const groups = new Map<string, Prepared[]>();
  for (const p of usable) {
    const root = find(identityKey(p.identifiers[0]));
    const g = groups.get(root);
    if (g) g.push(p);
    else groups.set(root, [p]);
  }
  const people: Array<{ events: Prepared[]; identities: Array<NormId & { source: string }> }> = [];
  for (const g of groups.values()) {
    const identities = new Map<string, NormId & { source: string }>();
    for (const p of g) for (const i of p.identifiers) if (!identities.has(identityKey(i))) identities.set(identityKey(i), { ...i, source: p.source });
    const perKind = new Map<string, number>();
    for (const i of identities.values()) if (policy.limits[i.kind] !== undefined) perKind.set(`${i.kind}\u0000${i.namespace}`, (perKind.get(`${i.kind}\u0000${i.namespace}`) ?? 0) + 1);
    if ([...perKind].some(([k, n]) => n > policy.limits[k.split('\u0000')[0] as IdentityKind]!) || [...identities.keys()].some((k) => linking.has(k) || withSuppressed.has(k))) slow.push(...g);
    else people.push({ events: g, identities: [...identities.values()] });
  }
  if (!people.length) return slow;
  const ids: Array<{ id: string }> = await run(em, `insert into customers (status) select 'active' from generate_series(1, ?) returning id`, [people.length]);
  const identityRows = people.flatMap((person, n) => person.identities.map((i) => ({ customer_id: ids[n].id, kind: i.kind, namespace: i.namespace, value: i.value, source: i.source })));
  await run(em, 
    `insert into identities (customer_id, kind, namespace, value, source)
     select r.customer_id, r.kind, r.namespace, r.value, r.source from jsonb_to_recordset(?::jsonb) as r(customer_id uuid, kind text, namespace text, value text, source text)`,
    [JSON.stringify(identityRows)],
  );
  for (const [n, person] of people.entries()) {
    for (const p of person.events) target.set(p.index, ids[n].id);
    await collect(em, ids[n].id);
  }
  return slow;
}

/** Key-share locks the customers and maps each id to the profile it is now (followMerges). Erased/unknown: absent. */
async function lockCustomers(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
  const found = await followMerges(em, ids, 'key share', (sql, params) => run(em, sql, params));
  return new Map([...found].map(([id, c]) => [id, c.id]));
}

interface StoredOrder {
  orderId: string;
  customerId: string;
  placedAt: Date;
}

async function storeOrders(
  em: EntityManager, events: Prepared[], target: Map<number, string>,
  byId: Map<string, PricedProduct>, bySku: Map<string, PricedProduct>,
  outcomes: Map<number, Outcome>, reject: (p: Prepared, err: DomainError) => void,
): Promise<StoredOrder[]> {
  type Priced = {
    p: Prepared; customerId: string; id: string; subtotal: number; lines: ReturnType<typeof priceOrderLines<PricedProduct>>['lines'];
    offerId: string | null; campaignId: string | null;
  };
  // Checkout codes: an offer's code (the order counts for the offer and its campaign), else a campaign's. One lookup.
  const codes = [...new Set(events.map((p) => p.order!.promoCode).filter((c): c is string => c !== null))];
  const promos = new Map<string, { offer_id: string | null; campaign_id: string | null }>();
  if (codes.length) {
    const rows: Array<{ code: string; offer_id: string | null; campaign_id: string | null }> = await run(em,
      `select r.code, o.id as offer_id, case when o.id is null then k.id else o.campaign_id end as campaign_id
       from unnest(?::text[]) as r(code) left join offers o on o.code = r.code left join campaigns k on o.id is null and k.code = r.code
       where o.id is not null or k.id is not null`,
      [textArray(codes)],
    );
    for (const r of rows) promos.set(r.code, r);
  }
  const priced: Priced[] = [];
  const byNumber = new Map<string, Priced>();
  for (const p of events) {
    const o = p.order!;
    const promo = o.promoCode === null ? { offer_id: null, campaign_id: null } : promos.get(o.promoCode);
    if (!promo) {
      reject(p, badInput(`promoCode "${o.promoCode}" names no offer or campaign`, 'order.promoCode'));
      continue;
    }
    let result: ReturnType<typeof priceOrderLines<PricedProduct>>;
    try {
      result = priceOrderLines(o.lines, o.currency, o.discountMinor, byId, bySku);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      reject(p, underOrder(err));
      continue;
    }
    const entry = {
      p, customerId: target.get(p.index)!, subtotal: result.subtotal, lines: result.lines, id: randomUUID(), offerId: promo.offer_id, campaignId: promo.campaign_id,
    };
    if (o.externalId === null) {
      priced.push(entry);
      continue;
    }
    const number = eventKey(p.source, o.externalId);
    if (byNumber.has(number)) {
      reject(p, conflict(`order ${p.source}/${o.externalId} appears twice in this batch`, { field: 'order.externalId', reason: 'ORDER_NUMBER_REPEATED' }));
      continue;
    }
    byNumber.set(number, entry);
    priced.push(entry);
  }
  if (!priced.length) return [];

  // Orders already stored under the same number (an earlier write on any path): the same order
  // (orders.ts orderContentSql, THE rule) of the same customer is a DUPLICATE, anything else a CONFLICT.
  const numbered = priced.filter((e) => e.p.order!.externalId !== null);
  const existing: Array<{ id: string; source: string; external_id: string; customer_id: string; same: boolean }> = !numbered.length ? [] : await run(em,
    `select o.id, o.source, o.external_id, o.customer_id,
            o.customer_id = r.customer_id and ${storedOrderContentSql('o')} = ${orderContentSql({
              placedAt: 'r.placed_at', channel: 'r.channel', status: 'r.status', currency: 'r.currency', discountMinor: 'r.discount_minor',
              offerId: 'r.offer_id', campaignId: 'r.campaign_id', lines: 'r.lines',
            })} as same
     from jsonb_to_recordset(?::jsonb) as r(source text, external_id text, customer_id uuid, placed_at timestamptz, channel text, status text, currency text,
                                             discount_minor bigint, offer_id uuid, campaign_id uuid, lines jsonb)
     join orders o on o.source = r.source and o.external_id = r.external_id`,
    [JSON.stringify(numbered.map((e) => {
      const o = e.p.order!;
      return {
        source: e.p.source, external_id: o.externalId, customer_id: e.customerId, placed_at: o.placedAt.toISOString(), channel: o.channel, status: o.status,
        currency: o.currency, discount_minor: o.discountMinor, offer_id: e.offerId, campaign_id: e.campaignId,
        lines: e.lines.map((l) => [l.product.id, l.quantity, l.unitPriceMinor]),
      };
    }))],
  );
  const toInsert: Priced[] = [];
  const stored = new Map(existing.map((x) => [eventKey(x.source, x.external_id), x]));
  for (const e of priced) {
    const o = e.p.order!;
    const x = o.externalId === null ? undefined : stored.get(eventKey(e.p.source, o.externalId));
    if (!x) {
      toInsert.push(e);
      continue;
    }
    if (x.same) outcomes.set(e.p.index, { status: IngestEventStatus.DUPLICATE, customerId: x.customer_id, interactionId: null, orderId: x.id, error: null });
    else reject(e.p, conflict(`order ${e.p.source}/${o.externalId} was already recorded with different content`, { field: 'order.externalId', reason: 'ORDER_EXISTS', orderId: toGlobalId('Order', x.id) }));
  }
  if (!toInsert.length) return [];

  const inserted: Array<{ id: string; source: string; external_id: string }> = await run(em, 
    `insert into orders (id, customer_id, external_id, source, placed_at, channel, status, currency, subtotal_minor, discount_minor, total_minor, offer_id, campaign_id)
     select r.id, r.customer_id, r.external_id, r.source, r.placed_at, r.channel, r.status, r.currency, r.subtotal_minor, r.discount_minor, r.total_minor, r.offer_id, r.campaign_id
     from jsonb_to_recordset(?::jsonb) as r(id uuid, customer_id uuid, external_id text, source text, placed_at timestamptz, channel text, status text,
                                             currency text, subtotal_minor bigint, discount_minor bigint, total_minor bigint, offer_id uuid, campaign_id uuid)
     on conflict (source, external_id) do nothing
     returning id, source, external_id`,
    [JSON.stringify(toInsert.map((e) => {
      const o = e.p.order!;
      return {
        id: e.id, customer_id: e.customerId, external_id: o.externalId, source: e.p.source, placed_at: o.placedAt.toISOString(), channel: o.channel, status: o.status,
        currency: o.currency, subtotal_minor: e.subtotal, discount_minor: o.discountMinor, total_minor: e.subtotal - o.discountMinor,
        // Absent keys read as null in jsonb_to_recordset.
        ...(e.offerId ? { offer_id: e.offerId } : {}), ...(e.campaignId ? { campaign_id: e.campaignId } : {}),
      };
    }))],
  );
  // A concurrent writer stored one of these numbers since the check above: start over, it will compare.
  if (inserted.length !== toInsert.length) throw new RetryBatch();
  const lines = toInsert.flatMap((e) => e.lines.map((l, i) => ({
    order_id: e.id, customer_id: e.customerId, product_id: l.product.id,
    quantity: l.quantity, unit_price_minor: l.unitPriceMinor, line_total_minor: l.lineTotalMinor, currency: e.p.order!.currency, position: i + 1,
  })));
  await run(em, 
    `insert into order_lines (order_id, customer_id, product_id, quantity, unit_price_minor, line_total_minor, currency, position)
     select r.order_id, r.customer_id, r.product_id, r.quantity, r.unit_price_minor, r.line_total_minor, r.currency, r.position
     from jsonb_to_recordset(?::jsonb) as r(order_id uuid, customer_id uuid, product_id uuid, quantity int, unit_price_minor int, line_total_minor bigint, currency text, position smallint)`,
    [JSON.stringify(lines)],
  );
  return toInsert.map((e) => {
    const orderId = e.id;
    outcomes.set(e.p.index, { status: IngestEventStatus.ACCEPTED, customerId: e.customerId, interactionId: null, orderId, error: null });
    return { orderId, customerId: e.customerId, placedAt: e.p.order!.placedAt };
  });
}
