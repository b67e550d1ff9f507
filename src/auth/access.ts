import type { Context } from '../context';
import { THIRD_PARTY_SHARING, type ConsentNeed } from './policy';
import { Role } from './viewer';
import { DomainError, ErrorCode } from '../errors/domain-error';
import { expectGlobalId } from '../schema/global-id';

/**
 * Object-level access: may this viewer see anything of this customer? Staff: yes. A customer: only
 * themselves. A partner: only customers whose current consent grants third-party sharing.
 * Root fields use it to answer null (indistinguishable from "not found"); the permission rules use
 * it on every field of every customer-owned object, however it was reached.
 */
export async function canAccessCustomer(ctx: Context, customerId: string): Promise<boolean> {
  return accessKnownNow(ctx, customerId) ?? (await ctx.loaders.consentStatus.load(consentKey(customerId, THIRD_PARTY_SHARING))) === 'granted';
}

/**
 * The part of `canAccessCustomer` that needs no lookup: staff (whichever customer), a customer
 * (only themselves), nobody (never); undefined for a partner, whose answer is the customer's consent.
 */
export function accessKnownNow(ctx: Pick<Context, 'viewer'>, customerId: string | undefined): boolean | undefined {
  const viewer = ctx.viewer;
  if (!viewer) return false;
  switch (viewer.role) {
    case Role.ADMIN:
    case Role.SUPPORT:
    case Role.MARKETING:
    case Role.ANALYST:
      return true;
    case Role.CUSTOMER:
      return !!customerId && viewer.customerId === customerId;
    case Role.PARTNER:
      return undefined;
    default: {
      const never: never = viewer.role;
      return never;
    }
  }
}

/** True when the customer's consent in force grants any of the needed purpose/channel pairs. */
export async function hasConsent(ctx: Context, customerId: string, need: ConsentNeed): Promise<boolean> {
  const statuses = await Promise.all(need.anyOf.map((n) => ctx.loaders.consentStatus.load(consentKey(customerId, n))));
  return statuses.includes('granted');
}

export function consentKey(customerId: string, n: { purpose: string; channel: string }): string {
  return `${customerId}|${n.purpose}|${n.channel}`;
}

/** Root-field helper: an object the viewer may not see is answered as null, exactly like a missing one. */
export async function visibleOrNull<T extends object>(ctx: Context, obj: T | null, customerIdOf: (o: T) => string | undefined): Promise<T | null> {
  if (!obj) return null;
  const customerId = customerIdOf(obj);
  if (customerId === undefined) return obj;
  return (await canAccessCustomer(ctx, customerId)) ? obj : null;
}

/**
 * The customer a write names, as a database id, once the viewer may see that customer. One the viewer
 * may not see answers exactly as one that does not exist (the services' own NOT_FOUND), before
 * anything is written: a partner learns neither that an id exists nor anything of a customer who does
 * not share with third parties, and writes nothing about them.
 */
export async function writableCustomerId(ctx: Context, globalId: string, field: string): Promise<string> {
  const id = expectGlobalId(globalId, 'Customer', field);
  if (!(await canAccessCustomer(ctx, id))) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'customerId' });
  return id;
}

/** The ids among `ids` the viewer may see (one batched consent lookup for partners). */
export async function accessibleCustomers(ctx: Context, ids: string[]): Promise<Set<string>> {
  const ok = await Promise.all(ids.map((id) => canAccessCustomer(ctx, id)));
  return new Set(ids.filter((_, i) => ok[i]));
}
