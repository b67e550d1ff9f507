import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../entities';
import { expectGlobalId } from '../schema/global-id';
import { DomainError } from '../errors/domain-error';
import type { MergePolicy } from '../services/merge-policy';
import type { WriteAudit } from '../services/customer.service';
import type { Keyring } from '../auth/pseudonyms';
import { IngestEventKind, IngestEventStatus, ingestEvents, renameHead, UPSERT_FIELDS_AS_EVENT, type IngestEventData, type IngestEventResult } from './core';
import { defaultPolicy, type IgnoredIdentifier, type UpsertCustomerData } from './identify';
import type { IngestionRights } from './rules';

export interface SingleWriteOptions {
  /** Default: MERGE_POLICY of the environment. */
  policy?: MergePolicy;
  rights: IngestionRights;
  /** The server's PSEUDONYM_KEYS (suppressed identifiers); default: the environment's. */
  keyring?: Keyring;
}

/**
 * A single mutation is a batch of one through the core (same checks, locks, idempotency, hook,
 * metrics). Its rejection is answered as the mutation's GraphQL error: the event's payload prefix
 * (`order.`, `interaction.`, `profile.`) is dropped from field and message, and `rename` maps event
 * fields (or their first segment: `identifiers[0].value`) to the mutation's input names
 * (idempotencyKey → sourceEventId).
 */
export async function ingestOne(
  em: EntityManager, event: IngestEventData, audit: WriteAudit | undefined, opts: SingleWriteOptions, rename: Record<string, string> = {},
): Promise<IngestEventResult> {
  const { results: [r] } = await ingestEvents(em, [event], {
    policy: opts.policy ?? defaultPolicy(), rights: opts.rights, keyring: opts.keyring, keyOptional: true, path: 'mutation',
    audit: audit && (async (tem, ids) => {
      for (const id of ids) await audit(tem, id);
    }),
  });
  if (r.status !== IngestEventStatus.REJECTED) return r;
  const err = r.cause!;
  const prefix = /^(order|interaction|profile)\./;
  let field = typeof err.details.field === 'string' ? err.details.field.replace(prefix, '') : undefined;
  if (field !== undefined) field = rename[field] ?? renameHead(field, rename) ?? field;
  throw new DomainError(err.code, err.message.replace(/\b(order|interaction)\./g, ''), { ...err.details, ...(field !== undefined ? { field } : {}) });
}

export interface UpsertOneData extends Omit<UpsertCustomerData, 'id'> {
  /** Global Customer id of the profile to update. */
  id?: string | null;
  /** Makes the call idempotent per source: a replay answers the first result; other content under the key is a CONFLICT. */
  idempotencyKey?: string | null;
}

export interface UpsertOneResult {
  customer: Customer;
  created: boolean;
  /** Profiles this write merged into `customer` (automatic merges), as database ids. */
  mergedIds: string[];
  ignored: IgnoredIdentifier[];
  duplicate: boolean;
}

/**
 * upsertCustomer: an IDENTIFY event of one through the core. `id` is a global Customer id. A replay
 * of an idempotency key answers the customer it stored (created false, nothing merged or ignored now).
 */
/** The IDENTIFY event's input names → upsertCustomer's: the core's map, inverted. */
const EVENT_FIELDS_AS_UPSERT: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(UPSERT_FIELDS_AS_EVENT).map(([upsert, event]) => [event, upsert]));

export async function upsertOne(em: EntityManager, data: UpsertOneData, audit: WriteAudit | undefined, opts: SingleWriteOptions): Promise<UpsertOneResult> {
  const { id, identities, source, idempotencyKey, ...profile } = data;
  // Checked here for the mutation's own argument name; the core checks it again as the event's customerId.
  if (id) expectGlobalId(id, 'Customer', 'input.id');
  const r = await ingestOne(em, {
    kind: IngestEventKind.IDENTIFY, idempotencyKey, source, customerId: id, identifiers: identities, profile,
  }, audit, opts, EVENT_FIELDS_AS_UPSERT);
  const customer = await em.findOneOrFail(Customer, { id: r.customerId! }, { refresh: true });
  return {
    customer, created: r.identified?.created ?? false, mergedIds: r.identified?.mergedIds ?? [], ignored: r.identified?.ignored ?? [],
    duplicate: r.status === IngestEventStatus.DUPLICATE,
  };
}
