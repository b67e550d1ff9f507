import type { EntityManager } from '@mikro-orm/postgresql';
import type { InteractionChannel, InteractionType, OrderChannel, OrderStatus } from '../entities/enums';
import { ErrorCode } from '../errors/domain-error';
import { IngestEventKind, IngestEventStatus, MAX_INGEST_EVENTS, ingestEvents, type IngestEventData, type IngestEventResult } from '../ingestion/core';
import { OPERATOR_RIGHTS } from '../ingestion/rules';
import type { MergePolicy } from '../services/merge-policy';
import { RejectCode, RecordKind } from './import-record';
import type { DeferredRow, RejectRow } from './resolve-chunk';
import type { Keyring } from '../auth/pseudonyms';

/**
 * The import's adapter onto the ingestion core, for the records the set-based chunk cannot settle:
 * those whose identifiers name several customers. The core merges them by the merge policy (or
 * refuses, with the policy's reason) and writes their profile or activity with provenance, as
 * ingestEvents and the mutations do. Staged values are already normalised; the core re-checks them.
 */
export function toEvent(r: DeferredRow): IngestEventData {
  const identifiers = r.ids.map(([kind, namespace, value]) => ({ kind, namespace, value })) as IngestEventData['identifiers'];
  const v = <T>(col: string): T | undefined => (r[col] === null || r[col] === undefined ? undefined : (r[col] as T));
  if (r.kind === RecordKind.CUSTOMER) {
    return {
      kind: IngestEventKind.IDENTIFY, source: r.source, identifiers,
      profile: {
        firstName: v('first_name'), lastName: v('last_name'), email: v('email'), phone: v('phone'),
        locale: v('locale'), birthDate: v('birth_date'), traits: v('traits'),
      },
    };
  }
  if (r.kind === RecordKind.ORDER) {
    const lines = (r.lines as Array<{ sku: string; quantity: number; unit_price_minor: number | null }>) ?? [];
    return {
      kind: IngestEventKind.ORDER, source: r.source, identifiers,
      order: {
        externalId: v('external_id'), placedAt: r.at as Date, channel: r.channel as OrderChannel, status: v<OrderStatus>('status'),
        currency: r.currency as string, discountMinor: v<string | number>('discount_minor') === undefined ? undefined : Number(r.discount_minor),
        lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unit_price_minor })),
      },
    };
  }
  return {
    kind: IngestEventKind.INTERACTION, idempotencyKey: v('event_id'), source: r.source, identifiers,
    interaction: {
      occurredAt: r.at as Date, channel: r.channel as InteractionChannel, type: r.itype as InteractionType,
      sku: v('sku'), campaign: v('campaign'), properties: v('properties'),
    },
  };
}

/** The import's reason code for a core rejection. */
function rejectCode(res: IngestEventResult): RejectCode {
  const e = res.error!;
  if (e.reason === 'SUPPRESSED') return RejectCode.SUPPRESSED_IDENTIFIER;
  if (e.code === ErrorCode.NOT_FOUND && /sku|product/.test(e.field ?? '')) return RejectCode.UNKNOWN_SKU;
  if (e.code === ErrorCode.CONFLICT && /identit|identifier/.test(e.field ?? '')) return RejectCode.IDENTIFIER_CONFLICT;
  if (e.code === ErrorCode.CONFLICT) return RejectCode.CONFLICTING_DUPLICATE;
  return RejectCode.INVALID_VALUE;
}

export interface CoreOutcome {
  imported: number;
  duplicates: number;
  rejected: RejectRow[];
}

/** Runs the deferred records through the core in file order, in batches; every physical row of a refused record is a reject. */
export async function ingestDeferred(em: EntityManager, rows: DeferredRow[], policy: MergePolicy, keyring?: Keyring): Promise<CoreOutcome> {
  const out: CoreOutcome = { imported: 0, duplicates: 0, rejected: [] };
  for (let i = 0; i < rows.length; i += MAX_INGEST_EVENTS) {
    const batch = rows.slice(i, i + MAX_INGEST_EVENTS);
    const { results } = await ingestEvents(em.fork(), batch.map(toEvent), { policy, rights: OPERATOR_RIGHTS, keyOptional: true, keyring, path: 'import' });
    results.forEach((res, n) => {
      const r = batch[n];
      const physical = r.line_numbers ?? [r.line];
      if (res.status === IngestEventStatus.ACCEPTED) out.imported += physical.length;
      else if (res.status === IngestEventStatus.DUPLICATE) out.duplicates += physical.length;
      else {
        const field = res.error!.field?.replace(/^events\[\d+\]\.?/, '') || null;
        for (const line of physical) out.rejected.push({ line, kind: r.kind, code: rejectCode(res), message: res.error!.message, field });
      }
    });
  }
  return out;
}
