import type { EntityManager } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/core';
import { ConsentRecord, Customer, Feedback, Interaction, Order, OrderLine, Product } from '../entities';
import {
  ConsentChannel, ConsentPurpose, ConsentStatus, FeedbackKind, FeedbackStatus, InteractionChannel, InteractionType,
  LawfulBasis,
} from '../entities/enums';
import { DomainError, ErrorCode, badInput, conflict } from '../errors/domain-error';
import { requireActiveCustomer, type WriteAudit } from './customer.service';
import { priceOrderLines, validateOrder, type RecordOrderData } from '../ingestion/orders';
import { IngestEventKind, IngestEventStatus } from '../ingestion/core';
import { ingestOne, type SingleWriteOptions } from '../ingestion/single';
import { advisoryLockSql, checkNotFuture, cleanText, requireText } from './validation';
import { toGlobalId } from '../schema/global-id';

/** Keeps first/last seen in step with recorded activity, in the writer's transaction. */
async function touchCustomer(em: EntityManager, customerId: string, at: Date): Promise<void> {
  await em.execute(
    `update customers set first_seen_at = least(first_seen_at, ?), last_seen_at = greatest(last_seen_at, ?) where id = ?`,
    [at, at, customerId],
  );
}

/** The offer (and its campaign), or the campaign, a checkout code names; NOT_FOUND-like BAD_USER_INPUT when none. */
async function resolvePromoCode(em: EntityManager, code: string): Promise<{ offerId: string | null; campaignId: string | null }> {
  const [row]: Array<{ offer_id: string | null; campaign_id: string | null }> = await em.execute(
    `select id as offer_id, campaign_id from offers where code = ?
     union all select null, id from campaigns where code = ? and not exists (select 1 from offers where code = ?)`,
    [code, code, code],
  );
  if (!row) throw badInput(`promoCode "${code}" names no offer or campaign`, 'promoCode');
  return { offerId: row.offer_id, campaignId: row.campaign_id };
}

/**
 * Records an order with its lines and totals in one transaction. With an externalId the call is
 * idempotent: the same order sent again returns the stored one; different content under the same id is a CONFLICT.
 */
export async function recordOrder(em: EntityManager, data: RecordOrderData, audit?: WriteAudit): Promise<{ order: Order; created: boolean }> {
  const { source, externalId, discountMinor, status } = validateOrder(data);
  const promoCode = cleanText(data.promoCode, 'promoCode', 128) ?? null;

  return em.transactional(async (tem) => {
    const promo = promoCode ? await resolvePromoCode(tem, promoCode) : { offerId: null, campaignId: null };
    if (externalId) {
      const lock = advisoryLockSql([`order:${source}:${externalId}`])!;
      await tem.execute(lock.sql, lock.params);
    }
    const customer = await requireActiveCustomer(tem, data.customerId);

    const productIds = data.lines.map((l) => l.productId).filter((v): v is string => v != null);
    const skus = data.lines.map((l) => l.sku).filter((v): v is string => v != null);
    const products = await tem.find(Product, { $or: [{ id: { $in: productIds } }, { sku: { $in: skus } }] });
    const byId = new Map(products.map((p) => [p.id, p]));
    const bySku = new Map(products.map((p) => [p.sku, p]));

    const { lines, subtotal } = priceOrderLines(data.lines, data.currency, discountMinor, byId, bySku);

    if (externalId) {
      const existing = await tem.findOne(Order, { source, externalId });
      if (existing) {
        // A replay is the same order in every respect, lines included; anything else is a different order.
        const storedLines = await tem.find(OrderLine, { order: existing }, { orderBy: { position: 'asc' } });
        const same =
          existing.customer.id === customer.id && existing.currency === data.currency && existing.placedAt.getTime() === data.placedAt.getTime() &&
          existing.channel === data.channel && existing.status === status && existing.discountMinor === discountMinor &&
          (existing.offerId ?? null) === promo.offerId && (existing.campaignId ?? null) === promo.campaignId &&
          storedLines.length === lines.length &&
          storedLines.every((sl, i) => sl.product.id === lines[i].product.id && sl.quantity === lines[i].quantity && sl.unitPriceMinor === lines[i].unitPriceMinor);
        if (!same) throw conflict(`order ${source}/${externalId} was already recorded with different content`, { field: 'externalId', orderId: toGlobalId('Order', existing.id) });
        return { order: existing, created: false };
      }
    }

    const order = tem.create(Order, {
      customer, externalId, source, placedAt: data.placedAt, channel: data.channel, status,
      currency: data.currency, subtotalMinor: subtotal, discountMinor, totalMinor: subtotal - discountMinor,
      offerId: promo.offerId, campaignId: promo.campaignId,
    });
    lines.forEach((l, i) => tem.create(OrderLine, { order, customer, currency: data.currency, position: i + 1, ...l }));
    await tem.flush();
    await touchCustomer(tem, customer.id, data.placedAt);
    await audit?.(tem, customer.id);
    return { order, created: true };
  });
}

export interface RecordInteractionData {
  customerId: string;
  occurredAt?: Date | null;
  channel: InteractionChannel;
  type: InteractionType;
  productId?: string | null;
  campaign?: string | null;
  properties?: Record<string, unknown> | null;
  source?: string | null;
  sourceEventId?: string | null;
}

/**
 * Records one interaction: a batch of one through the ingestion core. `sourceEventId` is its
 * idempotency key: a replay returns the stored row (duplicate: true); the same id with other content
 * is a CONFLICT. Ids are global ids.
 */
export async function recordInteraction(em: EntityManager, data: RecordInteractionData, audit: WriteAudit | undefined, opts: SingleWriteOptions): Promise<{ interaction: Interaction; duplicate: boolean }> {
  // A replay must carry the original time; "now" would make every retry look like a different event.
  if (data.sourceEventId && !data.occurredAt) throw badInput('occurredAt is required with sourceEventId', 'occurredAt');
  const { customerId, source, sourceEventId, ...interaction } = data;
  const r = await ingestOne(em, {
    kind: IngestEventKind.INTERACTION, idempotencyKey: sourceEventId, source, customerId,
    interaction: { ...interaction, occurredAt: data.occurredAt ?? new Date() },
  }, audit, opts, { idempotencyKey: 'sourceEventId' });
  return { interaction: await em.findOneOrFail(Interaction, { id: r.interactionId! }), duplicate: r.status === IngestEventStatus.DUPLICATE };
}

export interface RecordFeedbackData {
  customerId: string;
  kind: FeedbackKind;
  score?: number | null;
  text?: string | null;
  topic?: string | null;
  channel?: InteractionChannel | null;
  productId?: string | null;
  submittedAt?: Date | null;
}

const SCORE_RANGE: Record<FeedbackKind, [number, number] | null> = {
  [FeedbackKind.NPS]: [0, 10],
  [FeedbackKind.CSAT]: [1, 5],
  [FeedbackKind.REVIEW]: [1, 5],
  [FeedbackKind.SURVEY]: [0, 100],
  [FeedbackKind.COMPLAINT]: null,
  [FeedbackKind.SUGGESTION]: null,
};

export async function recordFeedback(em: EntityManager, data: RecordFeedbackData, audit?: WriteAudit): Promise<Feedback> {
  const submittedAt = data.submittedAt ?? new Date();
  checkNotFuture(submittedAt, 'submittedAt');
  const range = SCORE_RANGE[data.kind];
  const needsScore = data.kind === FeedbackKind.NPS || data.kind === FeedbackKind.CSAT || data.kind === FeedbackKind.REVIEW;
  const needsText = data.kind === FeedbackKind.COMPLAINT || data.kind === FeedbackKind.SUGGESTION;
  if (data.score != null) {
    if (!range) throw badInput(`${data.kind} feedback takes no score`, 'score');
    if (!Number.isInteger(data.score) || data.score < range[0] || data.score > range[1]) throw badInput(`score for ${data.kind} must be ${range[0]} to ${range[1]}`, 'score');
  } else if (needsScore) {
    throw badInput(`${data.kind} feedback needs a score`, 'score');
  }
  const text = needsText ? requireText(data.text, 'text', 5000) : cleanText(data.text, 'text', 5000) ?? null;
  const topic = cleanText(data.topic, 'topic', 100) ?? null;

  return em.transactional(async (tem) => {
    const customer = await requireActiveCustomer(tem, data.customerId);
    const product = data.productId ? await tem.findOne(Product, { id: data.productId }) : null;
    if (data.productId && !product) throw new DomainError(ErrorCode.NOT_FOUND, 'product not found', { field: 'productId' });
    const feedback = tem.create(Feedback, {
      customer, kind: data.kind, score: data.score ?? null, text, topic, channel: data.channel ?? null, product,
      submittedAt, status: FeedbackStatus.OPEN,
    });
    await tem.flush();
    await touchCustomer(tem, customer.id, submittedAt);
    await audit?.(tem, customer.id);
    return feedback;
  });
}

export interface SetConsentData {
  customerId: string;
  purpose: ConsentPurpose;
  channel?: ConsentChannel | null;
  status: ConsentStatus;
  lawfulBasis?: LawfulBasis | null;
  source: string;
  policyVersion: string;
  recordedAt?: Date | null;
  /** A grant for a limited time (see ConsentRecord.expiresAt). */
  expiresAt?: Date | null;
}

/** Appends a consent decision to the ledger; the newest record per (purpose, channel) is the current state. */
export async function setConsent(em: EntityManager, data: SetConsentData, audit?: WriteAudit): Promise<ConsentRecord> {
  const source = requireText(data.source, 'source', 64);
  const policyVersion = requireText(data.policyVersion, 'policyVersion', 64);
  const recordedAt = data.recordedAt ?? new Date();
  checkNotFuture(recordedAt, 'recordedAt');
  const lawfulBasis = data.lawfulBasis ?? LawfulBasis.CONSENT;
  if (lawfulBasis !== LawfulBasis.CONSENT && data.status !== ConsentStatus.GRANTED) {
    throw badInput('only a consent-based record can be denied or withdrawn', 'lawfulBasis');
  }
  const expiresAt = data.expiresAt ?? null;
  if (expiresAt && data.status !== ConsentStatus.GRANTED) throw badInput('only a grant can expire', 'expiresAt');
  if (expiresAt && !(expiresAt.getTime() > recordedAt.getTime())) throw badInput('expiresAt must be after recordedAt', 'expiresAt');
  return em.transactional(async (tem) => {
    const customer: Customer = await requireActiveCustomer(tem, data.customerId);
    const record = tem.create(ConsentRecord, {
      customer, purpose: data.purpose, channel: data.channel ?? ConsentChannel.ANY, status: data.status,
      lawfulBasis, source, policyVersion, recordedAt, expiresAt,
    });
    await tem.flush();
    await audit?.(tem, customer.id);
    return record;
  });
}

/** Complaint workflow: OPEN → ACKNOWLEDGED → RESOLVED (resolving stamps resolvedAt; reopening clears it). */
export async function updateFeedbackStatus(em: EntityManager, id: string, status: FeedbackStatus, audit?: WriteAudit): Promise<Feedback> {
  return em.transactional(async (tem) => {
    const feedback = await tem.findOne(Feedback, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!feedback) throw new DomainError(ErrorCode.NOT_FOUND, 'feedback not found', { field: 'id' });
    feedback.status = status;
    feedback.resolvedAt = status === FeedbackStatus.RESOLVED ? (feedback.resolvedAt ?? new Date()) : null;
    await tem.flush();
    await audit?.(tem, feedback.customer.id);
    return feedback;
  });
}
