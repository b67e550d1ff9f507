import type { Scope } from './policy';

export enum Role {
  ADMIN = 'admin',
  SUPPORT = 'support',
  MARKETING = 'marketing',
  ANALYST = 'analyst',
  PARTNER = 'partner',
  CUSTOMER = 'customer',
}

/** Who is asking. Anonymous requests have no viewer and are denied every guarded field. */
export interface Viewer {
  role: Role;
  /** JWT subject, or the API key's name. */
  subject: string;
  /**
   * Who acted, as the audit log and the merge ledger record it: a keyed pseudonym of a token's
   * subject (which is often an e-mail address), or `api-key:<name>`. Set with the request's context.
   */
  actor?: string;
  /** Role CUSTOMER: the only customer this viewer may read or change. */
  customerId?: string;
  /** Role PARTNER: the key and what it may do. */
  apiKeyId?: string;
  scopes?: Scope[];
}

export const STAFF_ROLES: readonly Role[] = [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST];
