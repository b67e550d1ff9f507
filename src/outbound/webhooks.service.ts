import { randomBytes } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, WebhookEndpointStatus } from '../entities';
import { DomainError, ErrorCode, notFound } from '../errors/domain-error';
import { EVENT_POLICY, holdsGrant, type Scope } from '../auth/policy';
import { Role, type Viewer } from '../auth/viewer';
import { cleanText } from '../services/validation';
import { checkFirst, newestFirstPage, type Cursor } from '../services/pagination';
import type { WriteAudit } from '../services/customer.service';
import type { WebhookConfig } from '../config';

/** Sent by a WEBHOOK trigger to its own endpoint only (README "Triggers"): not an event to subscribe to. */
export const TRIGGER_FIRED = 'trigger.fired';
export const EVENT_TYPES = Object.keys(EVENT_POLICY).filter((t) => t !== TRIGGER_FIRED);

export interface WebhookEndpointData {
  url?: string;
  events?: string[];
  description?: string | null;
  /** Admin only: re-enables a disabled endpoint (and queues what it held), or disables one. */
  enabled?: boolean;
}

/**
 * An endpoint URL: absolute http(s), https unless `allowHttp`, no credentials or fragment. Where it
 * resolves to is checked at each attempt (README "Webhooks" → keeping endpoints off internal networks).
 */
export function checkEndpointUrl(raw: string, allowHttp: boolean): string {
  const text = raw.trim();
  if (!text || text.length > 2000) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'url must be 1 to 2000 characters', { field: 'url', reason: 'URL_INVALID' });
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'url is not an absolute URL', { field: 'url', reason: 'URL_INVALID' });
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, allowHttp ? 'url must be http or https' : 'url must use https', { field: 'url', reason: 'URL_NOT_HTTPS' });
  }
  if (url.username || url.password) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'url must not carry credentials', { field: 'url', reason: 'URL_INVALID' });
  if (url.hash) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'url must not have a fragment', { field: 'url', reason: 'URL_INVALID' });
  return url.toString();
}

/** The event types a viewer may subscribe to: known, and (for a partner) allowed by its key's scopes. */
function checkEvents(events: string[], viewer: Viewer): string[] {
  if (!events.length) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'events must name at least one event type', { field: 'events', reason: 'NO_EVENTS' });
  const unique = [...new Set(events)];
  for (const type of unique) {
    if (type === TRIGGER_FIRED) throw new DomainError(ErrorCode.BAD_USER_INPUT, `${type} is sent by a WEBHOOK trigger to its endpoint; it is not subscribed to`, { field: 'events', reason: 'TRIGGER_ONLY' });
    const policy = EVENT_POLICY[type];
    if (!policy) throw new DomainError(ErrorCode.BAD_USER_INPUT, `unknown event type "${type}" (known: ${EVENT_TYPES.join(', ')})`, { field: 'events', reason: 'UNKNOWN_EVENT' });
    if (!holdsGrant(policy, viewer)) throw new DomainError(ErrorCode.FORBIDDEN, `this API key may not receive ${type}`, { field: 'events', reason: 'SCOPE' });
  }
  return unique.sort();
}

/** Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The endpoint, if the viewer may manage it: an admin any, a partner its own key's. Others: not found. */
async function ownedEndpoint(em: EntityManager, id: string, viewer: Viewer, lock = false): Promise<WebhookEndpoint> {
  const endpoint = await em.findOne(WebhookEndpoint, { id }, lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {});
  if (!endpoint || (viewer.role !== Role.ADMIN && (viewer.role !== Role.PARTNER || endpoint.apiKeyId !== viewer.apiKeyId))) throw notFound('webhook endpoint');
  return endpoint;
}

export async function createWebhookEndpoint(
  em: EntityManager, viewer: Viewer, data: { url: string; events: string[]; description?: string | null }, config: WebhookConfig, audit?: WriteAudit,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const url = checkEndpointUrl(data.url, config.allowHttp);
  const events = checkEvents(data.events, viewer);
  const description = cleanText(data.description, 'description', 500) ?? null;
  const secret = newSecret();
  return em.transactional(async (tem) => {
    const endpoint = tem.create(WebhookEndpoint, {
      url, events, description, secret, apiKeyId: viewer.role === Role.PARTNER ? viewer.apiKeyId! : null, createdBy: viewer.subject,
    });
    await tem.flush();
    await audit?.(tem, null);
    return { endpoint, secret };
  });
}

export async function updateWebhookEndpoint(em: EntityManager, viewer: Viewer, id: string, data: WebhookEndpointData, config: WebhookConfig, audit?: WriteAudit): Promise<WebhookEndpoint> {
  if (data.enabled !== undefined && viewer.role !== Role.ADMIN) {
    throw new DomainError(ErrorCode.FORBIDDEN, 'only an admin enables or disables an endpoint', { field: 'enabled', reason: 'ADMIN_ONLY' });
  }
  const url = data.url !== undefined ? checkEndpointUrl(data.url, config.allowHttp) : undefined;
  const events = data.events !== undefined ? checkEvents(data.events, viewer) : undefined;
  const description = data.description !== undefined ? (cleanText(data.description, 'description', 500) ?? null) : undefined;
  return em.transactional(async (tem) => {
    const endpoint = await ownedEndpoint(tem, id, viewer, true);
    if (url !== undefined) endpoint.url = url;
    if (events !== undefined) endpoint.events = events;
    if (description !== undefined) endpoint.description = description;
    if (data.enabled === true && endpoint.status !== WebhookEndpointStatus.ACTIVE) {
      endpoint.status = WebhookEndpointStatus.ACTIVE;
      endpoint.disabledReason = null;
      endpoint.consecutiveFailures = 0;
      // What it held while disabled goes back on the queue (the dispatcher queues unqueued pending deliveries).
      await tem.execute(`update webhook_deliveries set queued_at = null where endpoint_id = ? and status = 'pending'`, [id]);
    } else if (data.enabled === false && endpoint.status === WebhookEndpointStatus.ACTIVE) {
      endpoint.status = WebhookEndpointStatus.DISABLED;
      endpoint.disabledReason = `disabled by ${viewer.subject}`;
    }
    endpoint.updatedAt = new Date();
    await tem.flush();
    await audit?.(tem, null);
    return endpoint;
  });
}

export async function deleteWebhookEndpoint(em: EntityManager, viewer: Viewer, id: string, audit?: WriteAudit): Promise<boolean> {
  return em.transactional(async (tem) => {
    await ownedEndpoint(tem, id, viewer, true);
    await tem.execute('delete from webhook_endpoints where id = ?', [id]); // deliveries cascade
    await audit?.(tem, null);
    return true;
  });
}

export async function listWebhookEndpoints(em: EntityManager, viewer: Viewer): Promise<WebhookEndpoint[]> {
  const where = viewer.role === Role.ADMIN ? {} : { apiKeyId: viewer.apiKeyId ?? '00000000-0000-0000-0000-000000000000' };
  return em.find(WebhookEndpoint, where, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

export async function listWebhookDeliveries(
  em: EntityManager, viewer: Viewer, endpointId: string, status: WebhookDeliveryStatus | null, first: number, after: Cursor | null, maxPage: number,
) {
  await ownedEndpoint(em, endpointId, viewer);
  return newestFirstPage(em, WebhookDelivery, 'webhook_deliveries', { endpoint_id: endpointId, status }, checkFirst(first, maxPage), after);
}

/** Sends one delivery again (same webhook-id: a receiver that already has it de-duplicates). */
export async function replayWebhookDelivery(em: EntityManager, viewer: Viewer, id: string, audit?: WriteAudit): Promise<WebhookDelivery> {
  return em.transactional(async (tem) => {
    const [row]: Array<{ endpoint_id: string }> = await tem.execute('select endpoint_id from webhook_deliveries where id = ? for update', [id]);
    if (!row) throw notFound('webhook delivery');
    await ownedEndpoint(tem, row.endpoint_id, viewer);
    await tem.execute(`update webhook_deliveries set status = 'pending', queued_at = null, last_error = null where id = ?`, [id]);
    await audit?.(tem, null);
    return tem.findOneOrFail(WebhookDelivery, { id }, { refresh: true });
  });
}

/** For a partner endpoint: the scope its key must hold for an event type (null: partners never receive it). */
export function partnerScopeFor(type: string): Scope | null {
  const grant = EVENT_POLICY[type]?.[Role.PARTNER];
  return grant && typeof grant === 'object' && 'scope' in grant ? grant.scope : null;
}

