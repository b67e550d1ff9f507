import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { SupportTask, SupportTaskStatus, Trigger, TriggerAction, TriggerCondition, TriggerFiring, type TriggerFiringStatus } from '../entities/trigger.entity';
import { LifecycleStage } from '../analytics/enums';
import { ConsentPurpose } from '../entities/enums';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { cleanText, requireText } from '../services/validation';
import { checkFirst, newestFirstPage, type Cursor } from '../services/pagination';
import type { WriteAudit } from '../services/customer.service';
import { EVENT_POLICY, holdsGrant, type Scope } from '../auth/policy';
import { Role } from '../auth/viewer';

/** Limits on trigger settings (README "Triggers"). */
export const TRIGGER_LIMITS = {
  maxDelaySeconds: 30 * 24 * 3600,
  maxCartHours: 30 * 24,
  maxOfferDays: 365,
  maxCapCount: 1000,
  maxCapWindowHours: 24 * 365,
};

export interface TriggerData {
  name: string;
  condition: TriggerCondition;
  segmentId?: string | null;
  lifecycleStages?: LifecycleStage[] | null;
  cartHours?: number | null;
  action: TriggerAction;
  webhookEndpointId?: string | null;
  offerId?: string | null;
  offerDays?: number | null;
  taskNote?: string | null;
  delaySeconds?: number | null;
  consentPurpose?: ConsentPurpose | null;
  capCount?: number | null;
  capWindowHours?: number | null;
  enabled?: boolean | null;
}

const invalid = (message: string, field: string, reason: string) => new DomainError(ErrorCode.BAD_USER_INPUT, message, { field, reason });

function intIn(value: number | null | undefined, field: string, min: number, max: number): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${field} must be an integer from ${min} to ${max}`, field, 'OUT_OF_RANGE');
  return value;
}

/** Which settings each condition and action uses: a setting given where it means nothing is refused, not silently ignored. */
const CONDITION_FIELDS: Record<TriggerCondition, Array<keyof TriggerData>> = {
  [TriggerCondition.SEGMENT_ENTERED]: ['segmentId'],
  [TriggerCondition.LIFECYCLE_CHANGED]: ['lifecycleStages'],
  [TriggerCondition.COMPLAINT_RECORDED]: [],
  [TriggerCondition.CART_ABANDONED]: ['cartHours'],
};
const ACTION_FIELDS: Record<TriggerAction, Array<keyof TriggerData>> = {
  [TriggerAction.WEBHOOK]: ['webhookEndpointId'],
  [TriggerAction.OFFER]: ['offerId', 'offerDays'],
  [TriggerAction.SUPPORT_TASK]: ['taskNote'],
};
const SPECIFIC_FIELDS = [...new Set([...Object.values(CONDITION_FIELDS).flat(), ...Object.values(ACTION_FIELDS).flat()])];

/** The settings as they will be stored, checked as a whole (create, and update after merging). */
function checkShape(d: TriggerData): Omit<Trigger, 'id' | 'globalId' | 'segmentGlobalId' | 'webhookEndpointGlobalId' | 'offerGlobalId' | 'createdBy' | 'createdAt' | 'updatedAt'> {
  const name = requireText(d.name, 'name', 200);
  if (!Object.values(TriggerCondition).includes(d.condition)) throw invalid('condition is not a trigger condition', 'condition', 'INVALID_VALUE');
  if (!Object.values(TriggerAction).includes(d.action)) throw invalid('action is not a trigger action', 'action', 'INVALID_VALUE');
  const used = new Set([...CONDITION_FIELDS[d.condition], ...ACTION_FIELDS[d.action]]);
  for (const f of SPECIFIC_FIELDS) {
    const v = d[f];
    if (!used.has(f) && v != null && !(Array.isArray(v) && v.length === 0)) {
      throw invalid(`${f} does not apply to condition ${d.condition.toUpperCase()} with action ${d.action.toUpperCase()}`, f, 'NOT_APPLICABLE');
    }
  }
  const required = (f: keyof TriggerData) => {
    const v = d[f];
    if (v == null || (Array.isArray(v) && v.length === 0)) throw invalid(`${f} is required for ${used.has(f) && CONDITION_FIELDS[d.condition].includes(f) ? `condition ${d.condition.toUpperCase()}` : `action ${d.action.toUpperCase()}`}`, f, 'REQUIRED');
  };
  for (const f of used) if (f !== 'taskNote') required(f);
  const stages = [...new Set(d.lifecycleStages ?? [])];
  for (const s of stages) if (!Object.values(LifecycleStage).includes(s)) throw invalid('lifecycleStages holds an unknown stage', 'lifecycleStages', 'INVALID_VALUE');
  if (d.consentPurpose != null && !Object.values(ConsentPurpose).includes(d.consentPurpose)) throw invalid('consentPurpose is not a consent purpose', 'consentPurpose', 'INVALID_VALUE');
  const capCount = intIn(d.capCount, 'capCount', 1, TRIGGER_LIMITS.maxCapCount);
  const capWindowHours = intIn(d.capWindowHours, 'capWindowHours', 1, TRIGGER_LIMITS.maxCapWindowHours);
  if (capWindowHours != null && capCount == null) throw invalid('capWindowHours needs capCount', 'capWindowHours', 'REQUIRED');
  return {
    name, condition: d.condition, action: d.action,
    segmentId: d.segmentId ?? null, lifecycleStages: stages.sort(),
    cartHours: intIn(d.cartHours, 'cartHours', 1, TRIGGER_LIMITS.maxCartHours),
    webhookEndpointId: d.webhookEndpointId ?? null, offerId: d.offerId ?? null,
    offerDays: intIn(d.offerDays, 'offerDays', 1, TRIGGER_LIMITS.maxOfferDays),
    taskNote: cleanText(d.taskNote, 'taskNote', 2000) ?? null,
    delaySeconds: intIn(d.delaySeconds, 'delaySeconds', 0, TRIGGER_LIMITS.maxDelaySeconds) ?? 0,
    consentPurpose: d.consentPurpose ?? null,
    capCount, capWindowHours: capCount != null ? (capWindowHours ?? 24) : null,
    enabled: d.enabled ?? true,
  };
}

/** The outbox event type each condition fires on. */
export const CONDITION_EVENT: Record<TriggerCondition, string> = {
  [TriggerCondition.SEGMENT_ENTERED]: 'segment.entered',
  [TriggerCondition.LIFECYCLE_CHANGED]: 'lifecycle.changed',
  [TriggerCondition.COMPLAINT_RECORDED]: 'feedback.recorded',
  [TriggerCondition.CART_ABANDONED]: 'interaction.recorded',
};

/**
 * The segment, endpoint or offer the trigger names must exist (NOT_FOUND otherwise). A partner's
 * endpoint may be the target only of a condition whose event the partner's key may receive itself
 * (EVENT_POLICY): a firing tells what happened, so segment and lifecycle conditions (computed
 * metrics, admin endpoints only) never go to a partner.
 */
async function checkTargets(tem: EntityManager, t: { condition: TriggerCondition; segmentId?: string | null; webhookEndpointId?: string | null; offerId?: string | null }): Promise<void> {
  if (t.webhookEndpointId) {
    const [ep]: Array<{ scopes: Scope[] | null; partner: boolean }> = await tem.execute(
      'select w.api_key_id is not null as partner, k.scopes from webhook_endpoints w left join api_keys k on k.id = w.api_key_id where w.id = ?', [t.webhookEndpointId],
    );
    if (ep?.partner && !holdsGrant(EVENT_POLICY[CONDITION_EVENT[t.condition]], { role: Role.PARTNER, scopes: ep.scopes ?? [] })) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, `a partner endpoint may not learn of ${CONDITION_EVENT[t.condition]} events: choose an admin endpoint`, { field: 'webhookEndpointId', reason: 'PARTNER_NOT_ALLOWED' });
    }
  }
  const checks: Array<[string | null | undefined, string, string, string]> = [
    [t.segmentId, 'segments', 'segmentId', 'segment'],
    [t.webhookEndpointId, 'webhook_endpoints', 'webhookEndpointId', 'webhook endpoint'],
    [t.offerId, 'offers', 'offerId', 'offer'],
  ];
  for (const [id, table, field, what] of checks) {
    if (!id) continue;
    const rows: unknown[] = await tem.execute(`select 1 from ${table} where id = ?`, [id]);
    if (!rows.length) throw new DomainError(ErrorCode.NOT_FOUND, `${what} not found`, { field, reason: 'NOT_FOUND' });
  }
}

export async function createTrigger(em: EntityManager, data: TriggerData, createdBy: string, audit?: WriteAudit): Promise<Trigger> {
  const shape = checkShape(data);
  return em.transactional(async (tem) => {
    await checkTargets(tem, shape);
    const trigger = tem.create(Trigger, { ...shape, createdBy });
    await tem.flush();
    await audit?.(tem, null);
    return trigger;
  });
}

/** undefined: unchanged; null: cleared (where a setting may be cleared). */
export type TriggerUpdate = { [K in keyof TriggerData]?: TriggerData[K] | null };

export async function updateTrigger(em: EntityManager, id: string, data: TriggerUpdate, audit?: WriteAudit): Promise<Trigger> {
  for (const f of ['name', 'condition', 'action', 'enabled'] as const) {
    if (data[f] === null) throw invalid(`${f} cannot be cleared`, f, 'REQUIRED');
  }
  return em.transactional(async (tem) => {
    const trigger = await tem.findOne(Trigger, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!trigger) throw new DomainError(ErrorCode.NOT_FOUND, 'trigger not found', { field: 'id', reason: 'NOT_FOUND' });
    const merged: TriggerData = {
      name: trigger.name, condition: trigger.condition, segmentId: trigger.segmentId, lifecycleStages: trigger.lifecycleStages, cartHours: trigger.cartHours,
      action: trigger.action, webhookEndpointId: trigger.webhookEndpointId, offerId: trigger.offerId, offerDays: trigger.offerDays, taskNote: trigger.taskNote,
      delaySeconds: trigger.delaySeconds, consentPurpose: trigger.consentPurpose, capCount: trigger.capCount, capWindowHours: trigger.capWindowHours, enabled: trigger.enabled,
    };
    // Changing the condition or action drops the settings only the old one used.
    if (data.condition !== undefined && data.condition !== trigger.condition) for (const f of CONDITION_FIELDS[trigger.condition]) (merged as unknown as Record<string, unknown>)[f] = null;
    if (data.action !== undefined && data.action !== trigger.action) for (const f of ACTION_FIELDS[trigger.action]) (merged as unknown as Record<string, unknown>)[f] = null;
    for (const [k, v] of Object.entries(data)) if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
    const shape = checkShape(merged);
    await checkTargets(tem, shape);
    Object.assign(trigger, shape, { updatedAt: new Date() });
    await tem.flush();
    await audit?.(tem, null);
    return trigger;
  });
}

/** Deletes the trigger and its firing log; scheduled firings are dropped. What it already did (deliveries, grants, tasks) stays. */
export async function deleteTrigger(em: EntityManager, id: string, audit?: WriteAudit): Promise<boolean> {
  return em.transactional(async (tem) => {
    const rows: unknown[] = await tem.execute('delete from triggers where id = ? returning id', [id]);
    if (!rows.length) throw new DomainError(ErrorCode.NOT_FOUND, 'trigger not found', { field: 'id', reason: 'NOT_FOUND' });
    await audit?.(tem, null);
    return true;
  });
}

export function listTriggers(em: EntityManager): Promise<Trigger[]> {
  return em.find(Trigger, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

export async function listTriggerFirings(em: EntityManager, triggerId: string, status: TriggerFiringStatus | null, first: number, after: Cursor | null, maxPage: number) {
  const rows: unknown[] = await em.execute('select 1 from triggers where id = ?', [triggerId]);
  if (!rows.length) throw new DomainError(ErrorCode.NOT_FOUND, 'trigger not found', { field: 'triggerId', reason: 'NOT_FOUND' });
  return newestFirstPage(em, TriggerFiring, 'trigger_firings', { trigger_id: triggerId, status }, checkFirst(first, maxPage), after);
}

export function listSupportTasks(em: EntityManager, status: SupportTaskStatus | null, first: number, after: Cursor | null, maxPage: number) {
  return newestFirstPage(em, SupportTask, 'support_tasks', { status }, checkFirst(first, maxPage), after);
}

/** Marks a support task done (or open again). */
export async function setSupportTaskStatus(em: EntityManager, id: string, status: SupportTaskStatus, audit?: WriteAudit): Promise<SupportTask> {
  if (!Object.values(SupportTaskStatus).includes(status)) throw invalid('status is not a support task status', 'status', 'INVALID_VALUE');
  return em.transactional(async (tem) => {
    const task = await tem.findOne(SupportTask, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!task) throw new DomainError(ErrorCode.NOT_FOUND, 'support task not found', { field: 'id', reason: 'NOT_FOUND' });
    task.status = status;
    await tem.flush();
    await audit?.(tem, task.customer.id);
    return task;
  });
}
