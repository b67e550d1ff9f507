export enum Role {
  ADMIN = 'admin',
  SUPPORT = 'support',
  MARKETING = 'marketing',
  ANALYST = 'analyst',
  PARTNER = 'partner',
  CUSTOMER = 'customer',
}

/** Who is asking. Anonymous requests have no viewer and are denied everything but introspection-free basics. */
export interface Viewer {
  role: Role;
  /** JWT subject, API key id, or (role CUSTOMER) the customer's uuid. */
  subject: string;
  /** For role CUSTOMER: the only customer this viewer may read or change. */
  customerId?: string;
}

export const STAFF_ROLES: readonly Role[] = [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST];
