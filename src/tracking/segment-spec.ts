import { createHash } from 'node:crypto';
import { IdentityKind, InteractionChannel, InteractionType, OrderChannel } from '../entities/enums';
import { minorUnitDigits } from '../schema/money';
import { sortKeys } from '../ingestion/core';

/**
 * Segment's tracking spec (identify, track, page, screen, alias) mapped onto ingestEvents' event
 * shapes (README "Tracking API"). Pure: no database, no request. Whatever cannot be mapped gives a
 * rejection in the same shape as ingestEvents' own, so a client reads one kind of answer.
 */

/** What one ingestEvents event looks like as GraphQL variables (IngestEventInput). */
export interface IngestEventVariables {
  kind: 'IDENTIFY' | 'INTERACTION' | 'ORDER';
  idempotencyKey: string;
  source: string;
  identifiers?: Array<{ kind: string; namespace?: string | null; value: string }>;
  profile?: Record<string, unknown>;
  interaction?: Record<string, unknown>;
  order?: Record<string, unknown>;
}

export interface MappingRejection {
  code: 'BAD_USER_INPUT';
  field: string;
  message: string;
}

export type Mapped = { event: IngestEventVariables } | { rejection: MappingRejection };

/** The namespace of userId identifiers: Segment's userId is the sender's own customer id. */
export const SEGMENT_NAMESPACE = 'segment';
export const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'alias', 'group'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** analytics.js posts to /v1/<first letter of the type>; these are the long names behind them. */
export const SHORT_PATHS: Record<string, MessageType | 'batch'> = { i: 'identify', t: 'track', p: 'page', s: 'screen', a: 'alias', g: 'group', b: 'batch' };

/** E-commerce spec events (Segment "Ecommerce Events v2") that Rapport has an interaction type for. */
const TRACK_TYPES: Record<string, InteractionType> = {
  'product viewed': InteractionType.PRODUCT_VIEW,
  'products searched': InteractionType.SEARCH,
  'product added': InteractionType.CART_ADD,
  'cart abandoned': InteractionType.CART_ABANDON,
  'email opened': InteractionType.EMAIL_OPEN,
  'email link clicked': InteractionType.EMAIL_CLICK,
  'promotion viewed': InteractionType.OFFER_SHOWN,
  'coupon applied': InteractionType.OFFER_ACCEPTED,
};
const ORDER_COMPLETED = 'order completed';

type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined);

function reject(field: string, message: string): Mapped {
  return { rejection: { code: 'BAD_USER_INPUT', field, message } };
}

/**
 * Segment's messageId is the idempotency key. A message without one (the HTTP API allows it) gets a
 * key derived from its content, so that an identical resend is still a replay, not a second event.
 */
export function idempotencyKeyOf(msg: Json): string {
  const given = text(msg.messageId);
  if (given) return given.slice(0, 128);
  const { sentAt: _sentAt, writeKey: _writeKey, ...content } = msg; // a resend differs only in these
  return `derived-${createHash('sha256').update(JSON.stringify(sortKeys(content))).digest('base64url')}`;
}

/** The message's time: timestamp, else originalTimestamp, else when Rapport received it. */
function occurredAt(msg: Json, receivedAt: Date): string | MappingRejection {
  const raw = msg.timestamp ?? msg.originalTimestamp;
  if (raw === undefined || raw === null) return receivedAt.toISOString();
  const t = typeof raw === 'string' ? new Date(raw) : undefined;
  if (!t || Number.isNaN(t.getTime())) return { code: 'BAD_USER_INPUT', field: 'timestamp', message: 'timestamp must be an ISO 8601 date-time' };
  return t.toISOString();
}

/**
 * userId, traits.email / traits.phone (the message's own or context.traits) and anonymousId, strongest
 * first. A sender that may not link identifiers (rules.ts `mayLink`: keys without profiles:write) names the customer
 * by the strongest alone; a dropped anonymousId stays with the event as `properties.anonymousId`.
 */
function identifiersOf(msg: Json, mayLink: boolean): { ids: NonNullable<IngestEventVariables['identifiers']>; droppedAnonymousId?: string } {
  const ids: NonNullable<IngestEventVariables['identifiers']> = [];
  const userId = text(msg.userId);
  const anonymousId = text(msg.anonymousId);
  if (userId) ids.push({ kind: 'EXTERNAL_ID', namespace: SEGMENT_NAMESPACE, value: userId });
  const traits = { ...(isObject(msg.context) && isObject(msg.context.traits) ? msg.context.traits : {}), ...(isObject(msg.traits) ? msg.traits : {}) };
  const email = text(traits.email);
  const phone = text(traits.phone);
  if (email) ids.push({ kind: 'EMAIL', value: email });
  if (phone) ids.push({ kind: 'PHONE', value: phone });
  if (anonymousId) ids.push({ kind: 'DEVICE', namespace: SEGMENT_NAMESPACE, value: anonymousId });
  if (mayLink || ids.length <= 1) return { ids };
  return { ids: ids.slice(0, 1), droppedAnonymousId: ids[0].kind !== 'DEVICE' ? anonymousId : undefined };
}

const channelValues = new Set<string>(Object.values(InteractionChannel));

/** properties.channel or context.channel when it names one of Rapport's channels; browser → WEB, mobile → APP. */
function channelOf(msg: Json, fallback: InteractionChannel): string {
  const props = isObject(msg.properties) ? msg.properties : {};
  const ctx = isObject(msg.context) ? msg.context : {};
  for (const raw of [props.channel, ctx.channel]) {
    const v = typeof raw === 'string' ? raw.toLowerCase() : undefined;
    if (v && channelValues.has(v)) return v.toUpperCase();
    if (v === 'browser') return 'WEB';
    if (v === 'mobile') return 'APP';
  }
  return fallback.toUpperCase();
}

/** Profile fields from Segment's reserved traits; everything else stays a trait. */
function profileOf(traits: Json): Json {
  const profile: Json = {};
  const rest: Json = {};
  for (const [k, v] of Object.entries(traits)) {
    switch (k) {
      case 'firstName': case 'first_name': profile.firstName = v; break;
      case 'lastName': case 'last_name': profile.lastName = v; break;
      case 'email': profile.email = v; break;
      case 'phone': profile.phone = v; break;
      case 'birthday': profile.birthDate = typeof v === 'string' ? v.slice(0, 10) : v; break;
      case 'address':
        if (isObject(v)) {
          profile.address = {
            line1: v.street ?? null, city: v.city ?? null, region: v.state ?? null,
            postalCode: v.postalCode ?? v.postal_code ?? null, country: typeof v.country === 'string' && v.country.length === 2 ? v.country.toUpperCase() : null,
          };
        }
        break;
      default: rest[k] = v;
    }
  }
  if (typeof traits.name === 'string' && profile.firstName === undefined && profile.lastName === undefined) {
    const [first, ...last] = traits.name.trim().split(/\s+/);
    profile.firstName = first || null;
    if (last.length) profile.lastName = last.join(' ');
    delete rest.name;
  }
  if (Object.keys(rest).length) profile.traits = rest;
  return profile;
}

/** An "Order Completed" event's order: products by sku, prices in major units → minor units. */
function orderOf(props: Json, placedAt: string, channel: string): Json | MappingRejection {
  const currency = text(props.currency)?.toUpperCase() ?? 'USD';
  const products = Array.isArray(props.products) ? props.products : [];
  if (!products.length) return { code: 'BAD_USER_INPUT', field: 'properties.products', message: 'an Order Completed event needs products (each with sku, quantity and price)' };
  // Segment sends prices in major units; Rapport stores minor units of the currency's own precision.
  const scale = 10 ** minorUnitDigits(currency);
  const toMinor = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * scale) : undefined);
  const lines: Json[] = [];
  for (const [n, p] of products.entries()) {
    if (!isObject(p) || !text(p.sku)) return { code: 'BAD_USER_INPUT', field: `properties.products[${n}].sku`, message: 'every product needs a sku' };
    const quantity = p.quantity === undefined ? 1 : p.quantity;
    const price = toMinor(p.price);
    lines.push({ sku: text(p.sku), quantity, ...(price !== undefined ? { unitPriceMinor: price } : {}) });
  }
  const discount = toMinor(props.discount);
  const orderChannel = channel === 'APP' ? OrderChannel.APP : channel === 'STORE' ? OrderChannel.STORE : OrderChannel.WEB;
  return {
    placedAt, channel: orderChannel.toUpperCase(), currency, lines,
    ...(text(props.order_id) ? { externalId: text(props.order_id) } : {}),
    ...(discount !== undefined ? { discountMinor: discount } : {}),
  };
}

/** Maps one Segment message to one ingestEvents event, or says why it cannot be mapped. */
export function mapMessage(msg: unknown, type: MessageType | undefined, source: string, receivedAt: Date, opts: { mayLink: boolean }): Mapped {
  if (!isObject(msg)) return reject('', 'a message must be a JSON object');
  const kind = (type ?? text(msg.type)?.toLowerCase()) as MessageType | undefined;
  if (!kind || !MESSAGE_TYPES.includes(kind)) return reject('type', `type must be one of ${MESSAGE_TYPES.join(', ')}`);
  const idempotencyKey = idempotencyKeyOf(msg);
  const { ids: identifiers, droppedAnonymousId } = identifiersOf(msg, opts.mayLink);
  const base = { idempotencyKey, source };
  const when = occurredAt(msg, receivedAt);
  if (typeof when !== 'string') return { rejection: when };
  const context = isObject(msg.context) ? msg.context : undefined;

  switch (kind) {
    case 'group':
      return reject('type', 'group calls are not stored: Rapport keeps no accounts (B2B groups)');
    case 'identify': {
      if (!identifiers.length) return reject('userId', 'an identify call needs userId, anonymousId or traits.email');
      // An identify's purpose is to link: one that cannot (mayLink) is still an IDENTIFY, refused or not by its own right.
      const traits = isObject(msg.traits) ? msg.traits : {};
      return { event: { ...base, kind: 'IDENTIFY', identifiers, profile: profileOf(traits) } };
    }
    case 'alias': {
      const previousId = text(msg.previousId);
      const userId = text(msg.userId);
      if (!previousId || !userId) return reject(previousId ? 'userId' : 'previousId', 'an alias call needs previousId and userId');
      // The previous id is what the sender called this person before: an anonymous id or an old user id.
      return {
        event: {
          ...base, kind: 'IDENTIFY', profile: {},
          identifiers: [
            { kind: 'EXTERNAL_ID', namespace: SEGMENT_NAMESPACE, value: userId },
            { kind: 'DEVICE', namespace: SEGMENT_NAMESPACE, value: previousId },
          ],
        },
      };
    }
    default: {
      if (!identifiers.length) return reject('userId', `a ${kind} call needs userId or anonymousId`);
      const props = isObject(msg.properties) ? msg.properties : {};
      if (kind === 'track') {
        const name = text(msg.event);
        if (!name) return reject('event', 'a track call needs event (its name)');
        if (name.toLowerCase() === ORDER_COMPLETED) {
          const order = orderOf(props, when, channelOf(msg, InteractionChannel.WEB));
          if ('code' in order) return { rejection: order as MappingRejection };
          return { event: { ...base, kind: 'ORDER', identifiers, order } };
        }
        const type = TRACK_TYPES[name.toLowerCase()] ?? InteractionType.CUSTOM_EVENT;
        return { event: { ...base, kind: 'INTERACTION', identifiers, interaction: interactionOf(msg, props, when, type, InteractionChannel.WEB, { event: name, ...anon(droppedAnonymousId) }, context) } };
      }
      const type = kind === 'page' ? InteractionType.PAGE_VIEW : InteractionType.SCREEN_VIEW;
      const named = { ...(text(msg.name) ? { name: text(msg.name), ...(text(msg.category) ? { category: text(msg.category) } : {}) } : {}), ...anon(droppedAnonymousId) };
      return {
        event: { ...base, kind: 'INTERACTION', identifiers, interaction: interactionOf(msg, props, when, type, kind === 'page' ? InteractionChannel.WEB : InteractionChannel.APP, named, context) },
      };
    }
  }
}

const anon = (id: string | undefined) => (id ? { anonymousId: id } : {});

function interactionOf(msg: Json, props: Json, occurred: string, type: InteractionType, channel: InteractionChannel, extra: Json, context: Json | undefined): Json {
  const sku = text(props.sku);
  const campaign = isObject(context) && isObject(context.campaign) ? text(context.campaign.name) : undefined;
  return {
    occurredAt: occurred,
    channel: channelOf(msg, channel),
    type: type.toUpperCase(),
    ...(sku ? { sku } : {}),
    ...(campaign ? { campaign } : {}),
    // The sender's context (library, page, user agent, campaign…) is kept with the event.
    properties: { ...props, ...extra, ...(context ? { context } : {}) },
  };
}

/** The identity kinds a tracking call can name (for the README and the tests). */
export const TRACKED_IDENTITY_KINDS = [IdentityKind.EXTERNAL_ID, IdentityKind.DEVICE, IdentityKind.EMAIL, IdentityKind.PHONE];
