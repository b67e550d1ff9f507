import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityKind, InteractionChannel, InteractionType, OrderChannel, OrderStatus } from '../entities/enums';
import { ErrorCode } from '../errors/domain-error';
import {
  IngestEventKind, IngestEventStatus, MAX_INGEST_EVENTS, ingestEvents, sortKeys, type IngestEventData, type IngestEventResult, type IngestOptions,
} from '../ingestion/core';
import { RejectCode, RecordKind, type StagedRecord } from './import-record';

/**
 * The import's adapter onto the ingestion core (README "Ingestion pipeline"): it maps a file record to
 * the core's event and the core's answer to a rejects-file row, nothing else. Resolution, merges by
 * MERGE_POLICY, survivorship, provenance, idempotency and content conflicts are the core's.
 *
 * Idempotency keys: an interaction's is its source_event_id, an order's its external_id (as for
 * ingestEvents, where an order's number defaults to its key). A customer row's is its idempotency_key
 * column when given (as upsertCustomer's idempotencyKey); without one, its key is the digest of its content, so that re-running a file answers DUPLICATE for every unchanged
 * row and writes nothing, while a row with other content is a new write.
 */
export function toEvent(r: StagedRecord): IngestEventData {
  const identifiers = r.ids.map(([kind, namespace, value]) => ({ kind: kind as IdentityKind, namespace, value }));
  const v = <T>(x: T | null | undefined): T | undefined => (x === null ? undefined : x);
  if (r.kind === RecordKind.CUSTOMER) {
    const profile = {
      firstName: v(r.firstName), lastName: v(r.lastName), email: v(r.email), phone: v(r.phone),
      locale: v(r.locale), birthDate: v(r.birthDate), traits: v(r.traits),
    };
    const key = createHash('sha256').update(JSON.stringify(sortKeys({ identifiers, profile }))).digest('base64url');
    return { kind: IngestEventKind.IDENTIFY, idempotencyKey: r.idempotencyKey ?? `row:${key}`, source: r.source, identifiers, profile };
  }
  if (r.kind === RecordKind.ORDER) {
    return {
      kind: IngestEventKind.ORDER, idempotencyKey: r.externalId, source: r.source, identifiers,
      order: {
        externalId: r.externalId, placedAt: new Date(r.at!), channel: r.channel as OrderChannel, status: v(r.status) as OrderStatus | undefined,
        currency: r.currency!, discountMinor: v(r.discountMinor), promoCode: v(r.promoCode),
        lines: (r.lines ?? []).map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unit_price_minor })),
      },
    };
  }
  return {
    kind: IngestEventKind.INTERACTION, idempotencyKey: r.eventId, source: r.source, identifiers,
    interaction: {
      occurredAt: new Date(r.at!), channel: r.channel as InteractionChannel, type: r.itype as InteractionType,
      sku: v(r.sku), campaign: v(r.campaign), properties: v(r.properties),
    },
  };
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The core's field of an event (`events[3].order.lines[0].unitPriceMinor`) as the file's column (`lines[0].unit_price_minor`). */
export function fileField(kind: RecordKind, field: string | null): string | null {
  const f = field?.replace(/^events\[\d+\]\.?/, '').replace(/^(interaction|order|profile)\./, '') ?? '';
  if (!f) return null;
  if (f === 'idempotencyKey') return kind === RecordKind.ORDER ? 'external_id' : kind === RecordKind.INTERACTION ? 'source_event_id' : 'idempotency_key';
  if (kind === RecordKind.INTERACTION && (f === 'sku' || f === 'productId')) return 'product_sku';
  return f.split('.').map(snake).join('.');
}

/** The import's reason code for a core rejection (README "Bulk import", Rejects). */
export function rejectCode(kind: RecordKind, e: NonNullable<IngestEventResult['error']>): RejectCode {
  if (e.reason === 'SUPPRESSED') return RejectCode.SUPPRESSED_IDENTIFIER;
  if (e.reason === 'BLOCKLISTED') return RejectCode.NO_IDENTIFIER;
  const field = fileField(kind, e.field) ?? '';
  if (e.code === ErrorCode.NOT_FOUND && /sku|product|^lines\[\d+\]$/.test(field)) return RejectCode.UNKNOWN_SKU;
  if (e.code === ErrorCode.CONFLICT && /identit|identifier/.test(field)) return RejectCode.IDENTIFIER_CONFLICT;
  if (e.code === ErrorCode.CONFLICT) return RejectCode.CONFLICTING_DUPLICATE;
  if (/unit_price_minor$/.test(field) && / is required/.test(e.message)) return RejectCode.PRICE_REQUIRED;
  return RejectCode.INVALID_VALUE;
}

/** One row of the rejects file: the import's reason code, and the API's error code as ingestEvents answers it. */
export interface RejectRow {
  line: number;
  kind: string | null;
  code: RejectCode;
  errorCode?: ErrorCode;
  message: string;
  field: string | null;
}

export interface CoreOutcome {
  imported: number;
  duplicates: number;
  customersCreated: number;
  rejected: RejectRow[];
}

/** Records through the core in file order, in batches of its maximum; every physical row of a refused record (a CSV order spans several) is a reject. */
export async function ingestRecords(em: EntityManager, records: StagedRecord[], opts: IngestOptions): Promise<CoreOutcome> {
  const out: CoreOutcome = { imported: 0, duplicates: 0, customersCreated: 0, rejected: [] };
  for (let i = 0; i < records.length; i += MAX_INGEST_EVENTS) {
    const batch = records.slice(i, i + MAX_INGEST_EVENTS);
    const { results, customersCreated } = await ingestEvents(em.fork(), batch.map(toEvent), opts);
    out.customersCreated += customersCreated;
    results.forEach((res, n) => {
      const r = batch[n];
      const physical = r.lineNumbers ?? [r.line];
      if (res.status === IngestEventStatus.ACCEPTED) out.imported += physical.length;
      else if (res.status === IngestEventStatus.DUPLICATE) out.duplicates += physical.length;
      else {
        const e = res.error!;
        const code = rejectCode(r.kind, e);
        let field = fileField(r.kind, e.field);
        // An order line not found is named by its sku in a file.
        if (code === RejectCode.UNKNOWN_SKU && field && /^lines\[\d+\]$/.test(field)) field += '.sku';
        for (const line of physical) out.rejected.push({ line, kind: r.kind, code, errorCode: e.code, message: e.message, field });
      }
    });
  }
  return out;
}
