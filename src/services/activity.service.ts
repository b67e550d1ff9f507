import type { EntityManager } from '@mikro-orm/postgresql';
import { LockMode } from '@mikro-orm/core';
import { ConsentRecord, Customer, Feedback, Interaction, Order, Product } from '../entities';
import {
  ConsentChannel, ConsentPurpose, ConsentStatus, FeedbackKind, FeedbackStatus, InteractionChannel, InteractionType,
  LawfulBasis,
} from '../entities/enums';
import { DomainError, ErrorCode, badInput } from '../errors/domain-error';
import { requireActiveCustomer, type WriteAudit } from './customer.service';
import type { RecordOrderData } from '../ingestion/orders';
import { IngestEventKind, IngestEventStatus } from '../ingestion/core';
import { ingestOne, type SingleWriteOptions } from '../ingestion/single';
import { checkNotFuture, cleanText, requireText } from './validation';

/** Keeps first/last seen in step with recorded activity, in the writer's transaction. */
async function touchCustomer(em: EntityManager, customerId: string, at: Date): Promise<void> {
  await em.execute(
    `update customers set first_seen_at = least(first_seen_at, ?), last_seen_at = greatest(last_seen_at, ?) where id = ?`,
    [at, at, customerId],
  );
}

/**
 * Records an order with its lines and totals: a batch of one through the ingestion core. With an
 * externalId (the order number, its idempotency key) the call is idempotent: the same order sent again
 * returns the stored one; different content under the same number is a CONFLICT (orders.ts: the one
 * rule). `promoCode` attributes it to an offer, else a campaign. Ids are global ids.
 */
export async function recordOrder(em: EntityManager, data: RecordOrderData, audit: WriteAudit | undefined, opts: SingleWriteOptions): Promise<{ order: Order; created: boolean }> {
  const { customerId, source, ...order } = data;
  const r = await ingestOne(em, { kind: IngestEventKind.ORDER, idempotencyKey: data.externalId, source, customerId, order }, audit, opts, { idempotencyKey: 'externalId' });
  return { order: await em.findOneOrFail(Order, { id: r.orderId! }), created: r.status === IngestEventStatus.ACCEPTED };
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
