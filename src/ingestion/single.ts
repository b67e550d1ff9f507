import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError } from '../errors/domain-error';
import type { MergePolicy } from '../services/merge-policy';
import type { WriteAudit } from '../services/customer.service';
import { IngestEventStatus, ingestEvents, type IngestEventData, type IngestEventResult } from './core';
import { defaultPolicy } from './identify';
import type { IngestionRights } from './rules';

export interface SingleWriteOptions {
  /** Default: MERGE_POLICY of the environment. */
  policy?: MergePolicy;
  rights: IngestionRights;
}

/**
 * A single mutation is a batch of one through the core (same checks, locks, idempotency, hook). Its
 * rejection is answered as the mutation's GraphQL error: the event's payload prefix (`order.`,
 * `interaction.`) is dropped from field and message, and `rename` maps event fields to the
 * mutation's input names (idempotencyKey → sourceEventId).
 */
export async function ingestOne(
  em: EntityManager, event: IngestEventData, audit: WriteAudit | undefined, opts: SingleWriteOptions, rename: Record<string, string> = {},
): Promise<IngestEventResult> {
  const { results: [r] } = await ingestEvents(em, [event], {
    policy: opts.policy ?? defaultPolicy(), rights: opts.rights, keyOptional: true,
    audit: audit && (async (tem, ids) => {
      for (const id of ids) await audit(tem, id);
    }),
  });
  if (r.status !== IngestEventStatus.REJECTED) return r;
  const err = r.cause!;
  const prefix = /^(order|interaction|profile)\./;
  const field = typeof err.details.field === 'string' ? err.details.field.replace(prefix, '') : undefined;
  throw new DomainError(err.code, err.message.replace(/\b(order|interaction)\./g, ''), {
    ...err.details, ...(field !== undefined ? { field: rename[field] ?? field } : {}),
  });
}
