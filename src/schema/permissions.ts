import { allow, deny, rule, shield, type IRules } from 'graphql-shield';
import { GraphQLError } from 'graphql';
import type { Context } from '../context';
import { Role } from '../auth/viewer';

const unauthenticated = () => new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
const forbidden = () => new GraphQLError('not allowed for your role', { extensions: { code: 'FORBIDDEN' } });

/**
 * Role rules depend only on the viewer, never on the parent object, so the 'contextual' cache
 * (keyed by rule name, per request) is correct for them. Rules that look at the parent must use 'no_cache'.
 */
const hasRole = (name: string, roles: Role[]) =>
  rule(name, { cache: 'contextual' })((_parent, _args, ctx: Context) => {
    if (!ctx.viewer) return unauthenticated();
    return roles.includes(ctx.viewer.role) ? true : forbidden();
  });

const isAuthenticated = rule('isAuthenticated', { cache: 'contextual' })((_p, _a, ctx: Context) => (ctx.viewer ? true : unauthenticated()));

/** Staff who work with individual customers. The full role matrix (marketing, analyst, partner, customer) is layered on this. */
const isCustomerStaff = hasRole('isCustomerStaff', [Role.ADMIN, Role.SUPPORT]);

/**
 * The permission tree. Deny by default (fallbackRule: deny): a field missing here is unreachable.
 * Object types reachable only through guarded root fields allow their fields to any authenticated viewer.
 */
export const permissionRules: IRules = {
  Query: {
    '*': deny,
    node: isCustomerStaff,
    nodes: isCustomerStaff,
    customer: isCustomerStaff,
    customerByIdentifier: isCustomerStaff,
    customers: isCustomerStaff,
    product: isAuthenticated,
    products: isAuthenticated,
  },
  Mutation: {
    '*': deny,
    upsertCustomer: isCustomerStaff,
    recordOrder: isCustomerStaff,
    recordInteraction: isCustomerStaff,
    recordFeedback: isCustomerStaff,
    setConsent: isCustomerStaff,
    upsertProduct: hasRole('isAdmin', [Role.ADMIN]),
  },
  Customer: isAuthenticated,
  PostalAddress: isAuthenticated,
  Identity: isAuthenticated,
  Product: isAuthenticated,
  Order: isAuthenticated,
  OrderLine: isAuthenticated,
  Interaction: isAuthenticated,
  Feedback: isAuthenticated,
  ConsentRecord: isAuthenticated,
  CustomerConsents: isAuthenticated,
  Money: allow,
  PageInfo: allow,
  CustomerConnection: allow,
  CustomerEdge: allow,
  OrderConnection: allow,
  OrderEdge: allow,
  InteractionConnection: allow,
  InteractionEdge: allow,
  FeedbackConnection: allow,
  FeedbackEdge: allow,
  ConsentRecordConnection: allow,
  ConsentRecordEdge: allow,
  ProductConnection: allow,
  ProductEdge: allow,
  UpsertCustomerPayload: allow,
  RecordOrderPayload: allow,
  RecordInteractionPayload: allow,
};

export const permissions = shield(permissionRules, {
  fallbackRule: deny,
  fallbackError: forbidden,
  // Errors thrown by resolvers (typed domain errors) must reach the client as they are, not as "Not Authorised!".
  allowExternalErrors: true,
  debug: false,
});
