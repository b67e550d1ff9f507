/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** The channel a consent record applies to. */
export type ConsentChannel =
  /** Applies to the purpose on every channel. */
  | 'ANY'
  /** Email. */
  | 'EMAIL'
  /** Phone calls. */
  | 'PHONE'
  /** Postal mail. */
  | 'POST'
  /** Mobile push notifications. */
  | 'PUSH'
  /** Text messages. */
  | 'SMS'
  /** The website (e.g. on-site personalisation and tracking). */
  | 'WEB';

/** Matches the consent in force: the newest record for the channel or for ANY channel. */
export type ConsentFilter = {
  /** The channel the consent is for. */
  channel?: ConsentChannel;
  /** The purpose the consent is for. */
  purpose: ConsentPurpose;
  /** The status the consent in force must have (`GRANTED` to build a targeting list). */
  status?: ConsentStatus;
};

/** What a consent is for. */
export type ConsentPurpose =
  /** Using the customer's data in aggregate analytics. */
  | 'ANALYTICS'
  /** Sending marketing by email; also lets marketing staff see the email address and name. */
  | 'EMAIL_MARKETING'
  /** Personalising content, recommendations and inferred preferences. */
  | 'PERSONALIZATION'
  /** Marketing calls; also lets marketing staff see the phone number and name. */
  | 'PHONE_MARKETING'
  /** Automated profiling: scoring, churn risk, value tiers (GDPR art. 22). */
  | 'PROFILING'
  /** Marketing by push notification. */
  | 'PUSH_MARKETING'
  /** Marketing by text message; also lets marketing staff see the phone number and name. */
  | 'SMS_MARKETING'
  /** Sharing the customer's data with partners: partners (API keys) see only customers who granted it. */
  | 'THIRD_PARTY_SHARING';

/** A consent decision. */
export type ConsentStatus =
  /** Refused when asked. */
  | 'DENIED'
  /** Given: the processing is allowed. */
  | 'GRANTED'
  /** Previously granted, now taken back. */
  | 'WITHDRAWN';

/** Criteria `customers` selects by; all given criteria must match. */
export type CustomerFilter = {
  /** Targeting: only customers whose consent in force matches. */
  consent?: ConsentFilter | null | undefined;
  /** Only customers created at or after this instant (UTC). */
  createdAfter?: string | null | undefined;
  /** Only customers created before this instant (UTC). */
  createdBefore?: string | null | undefined;
  /** Only the customer with this email address (case-insensitive exact match). Admin and support only: a filter is a way to read what it matches. */
  email?: string | null | undefined;
  /** Only customers last seen at or after this instant (UTC). */
  lastSeenAfter?: string | null | undefined;
  /** Only customers last seen before this instant (UTC). */
  lastSeenBefore?: string | null | undefined;
  /** Case-insensitive substring of name or email (2-100 characters). */
  search?: string | null | undefined;
  /** Current members of a segment (staff only). */
  segmentId?: string | number | null | undefined;
  /** Default: ACTIVE only. */
  status?: Array<CustomerStatus> | null | undefined;
  /** By computed metrics (staff only). */
  value?: CustomerValueFilter | null | undefined;
};

/** Sort order of `customers`. */
export type CustomerOrderBy = {
  /** Ascending or descending. */
  direction?: SortDirection;
  /** What to sort by. */
  field?: CustomerSortField;
};

/** What `customers` can be sorted by; ties are broken by id so paging is stable. */
export type CustomerSortField =
  /** Churn risk from the latest analytics run (staff only); customers without metrics sort last. */
  | 'CHURN_RISK'
  /** Predicted 12-month value from the latest analytics run (staff only); customers without metrics sort last. */
  | 'CLV_12M'
  /** When the profile was created. */
  | 'CREATED_AT'
  /** Revenue from orders so far (staff only). */
  | 'HISTORIC_VALUE'
  /** Latest activity. */
  | 'LAST_SEEN_AT';

/** Whether a customer profile is live. */
export type CustomerStatus =
  /** A live profile. */
  | 'ACTIVE'
  /** Personal data removed on request (right to erasure); orders and the consent ledger remain. */
  | 'ERASED'
  /** Merged into another profile (the survivor), which now holds all its data. */
  | 'MERGED';

/** Criteria on computed metrics from the latest analytics run (staff only); all given criteria must match. */
export type CustomerValueFilter = {
  /** Only customers with churn risk ≥ this (0–1). */
  churnRiskAtLeast?: number | null | undefined;
  /** Only customers with churn risk ≤ this (0–1). */
  churnRiskAtMost?: number | null | undefined;
  /** Only customers whose predicted 12-month value is at least this, in minor units of the reporting currency. */
  clv12mAtLeastMinor?: number | null | undefined;
  /** Only customers in one of these lifecycle stages. */
  lifecycleStages?: Array<LifecycleStage> | null | undefined;
  /** Only customers in one of these RFM segments (e.g. `Champions`, `At Risk`). */
  rfmSegments?: Array<string> | null | undefined;
  /** Only customers in one of these value tiers. */
  valueTiers?: Array<ValueTier> | null | undefined;
};

/** Kind of feedback. */
export type FeedbackKind =
  /** A complaint to be handled (OPEN → ACKNOWLEDGED → RESOLVED). */
  | 'COMPLAINT'
  /** Customer-satisfaction rating, score 1–5. */
  | 'CSAT'
  /** Net Promoter Score answer, score 0–10. */
  | 'NPS'
  /** A product review, score 1–5. */
  | 'REVIEW'
  /** An idea or request, without a score. */
  | 'SUGGESTION'
  /** Another survey answer, score 0–100. */
  | 'SURVEY';

/** Handling status of feedback. */
export type FeedbackStatus =
  /** Seen by staff and being handled. */
  | 'ACKNOWLEDGED'
  /** Received, not yet looked at. */
  | 'OPEN'
  /** Handled; `resolvedAt` says when. */
  | 'RESOLVED';

/** A customer identifier. */
export type IdentifierInput = {
  /** What kind of identifier this is. */
  kind: IdentityKind;
  /** Source system for EXTERNAL_ID and CRM_ID (e.g. "shopify"). */
  namespace?: string | null | undefined;
  /** The identifier itself (emails and phones are normalised). */
  value: string;
};

/** Kind of customer identifier. */
export type IdentityKind =
  /** Id in a CRM system (with a namespace naming it). */
  | 'CRM_ID'
  /** A device or app-install id. */
  | 'DEVICE'
  /** An email address (normalised to lower case). */
  | 'EMAIL'
  /** Id in another system, e.g. a shop (with a namespace naming it). */
  | 'EXTERNAL_ID'
  /** A loyalty card number. */
  | 'LOYALTY_CARD'
  /** A phone number in E.164 form. */
  | 'PHONE';

/** Channel an interaction or feedback happened on. */
export type InteractionChannel =
  /** Mobile app. */
  | 'APP'
  /** Live chat. */
  | 'CHAT'
  /** Email. */
  | 'EMAIL'
  /** Phone call. */
  | 'PHONE'
  /** Push notification. */
  | 'PUSH'
  /** Text message. */
  | 'SMS'
  /** Social media. */
  | 'SOCIAL'
  /** Physical store. */
  | 'STORE'
  /** Customer support (tickets). */
  | 'SUPPORT'
  /** Website. */
  | 'WEB';

/** Criteria to narrow a customer's interactions; all given criteria must match. */
export type InteractionFilter = {
  /** Only interactions tagged with this campaign. */
  campaign?: string | null | undefined;
  /** Only interactions on one of these channels. */
  channels?: Array<InteractionChannel> | null | undefined;
  /** Inclusive lower bound of occurredAt. */
  since?: string | null | undefined;
  /** Only interactions of one of these types. */
  types?: Array<InteractionType> | null | undefined;
  /** Exclusive upper bound of occurredAt. */
  until?: string | null | undefined;
};

/** What kind of interaction happened. */
export type InteractionType =
  /** A phone call with the customer. */
  | 'CALL'
  /** A cart left without ordering. */
  | 'CART_ABANDON'
  /** A product added to the cart. */
  | 'CART_ADD'
  /** A chat message. */
  | 'CHAT_MESSAGE'
  /** Any other event; its name and data are in `properties`. */
  | 'CUSTOM_EVENT'
  /** A link in an email was clicked. */
  | 'EMAIL_CLICK'
  /** An email was opened. */
  | 'EMAIL_OPEN'
  /** An email was sent to the customer. */
  | 'EMAIL_SEND'
  /** The customer was held out of a campaign as part of its control group (recorded when offers are ranked). */
  | 'HELD_OUT'
  /** The customer accepted an offer. */
  | 'OFFER_ACCEPTED'
  /** The customer rejected an offer. */
  | 'OFFER_REJECTED'
  /** An offer was shown to the customer. */
  | 'OFFER_SHOWN'
  /** A web page was viewed. */
  | 'PAGE_VIEW'
  /** A product page was viewed. */
  | 'PRODUCT_VIEW'
  /** A push notification was sent. */
  | 'PUSH_SEND'
  /** An app screen was viewed. */
  | 'SCREEN_VIEW'
  /** A search was made. */
  | 'SEARCH'
  /** A text message was sent. */
  | 'SMS_SEND'
  /** The customer mentioned the business on social media. */
  | 'SOCIAL_MENTION'
  /** The customer visited a store. */
  | 'STORE_VISIT'
  /** A support ticket was opened. */
  | 'TICKET';

/** GDPR article 6 lawful basis of a processing. */
export type LawfulBasis =
  /** The customer consented (art. 6(1)(a)). */
  | 'CONSENT'
  /** Needed to perform a contract with the customer (art. 6(1)(b)). */
  | 'CONTRACT'
  /** Required by law (art. 6(1)(c)). */
  | 'LEGAL_OBLIGATION'
  /** The business's legitimate interest, balanced against the customer's rights (art. 6(1)(f)). */
  | 'LEGITIMATE_INTEREST';

/** Where a customer is in their relationship with the business (recomputed by each analytics run). */
export type LifecycleStage =
  /** Buying regularly; none of the other stages applies. */
  | 'ACTIVE'
  /** P(alive) below 0.5, or no order in 180 days. */
  | 'AT_RISK'
  /** No order in a year, or P(alive) below 0.2. */
  | 'LAPSED'
  /** A single transaction, within the last 30 days. */
  | 'NEW'
  /** Known, but has never ordered. */
  | 'PROSPECT'
  /** Ordered in the last 90 days after a gap of 180 days or more. */
  | 'WON_BACK';

/** Where an order was placed. */
export type OrderChannel =
  /** In the mobile app. */
  | 'APP'
  /** On a third-party marketplace. */
  | 'MARKETPLACE'
  /** Through a partner. */
  | 'PARTNER'
  /** By phone. */
  | 'PHONE'
  /** In a physical store. */
  | 'STORE'
  /** On the website. */
  | 'WEB';

/** Name the product by productId or by sku (exactly one). */
export type OrderLineInput = {
  /** Global id of the product; give this or `sku`. */
  productId?: string | number | null | undefined;
  /** Units bought (≥ 1). */
  quantity: number;
  /** SKU of the product; give this or `productId`. */
  sku?: string | null | undefined;
  /** Minor units; default: the product's list price (same currency only). */
  unitPriceMinor?: number | null | undefined;
};

/** Fulfilment status of an order. Value metrics count every status except CANCELLED and RETURNED. */
export type OrderStatus =
  /** Cancelled before fulfilment. */
  | 'CANCELLED'
  /** Delivered to the customer. */
  | 'DELIVERED'
  /** Paid, not yet shipped. */
  | 'PAID'
  /** Placed, not yet paid. */
  | 'PLACED'
  /** Returned by the customer. */
  | 'RETURNED'
  /** Shipped, not yet delivered. */
  | 'SHIPPED';

/** A postal address; every field is optional. */
export type PostalAddressInput = {
  /** City or town. */
  city?: string | null | undefined;
  /** ISO 3166-1 alpha-2 country code, e.g. `DE`. */
  country?: string | null | undefined;
  /** First address line (street and number). */
  line1?: string | null | undefined;
  /** Second address line (flat, building…). */
  line2?: string | null | undefined;
  /** Postal or ZIP code. */
  postalCode?: string | null | undefined;
  /** State, province or county. */
  region?: string | null | undefined;
};

/** NPS needs a score 0-10, CSAT and REVIEW 1-5, SURVEY takes 0-100; COMPLAINT and SUGGESTION need text. */
export type RecordFeedbackInput = {
  /** Channel the feedback came through. */
  channel?: InteractionChannel | null | undefined;
  /** Global id of the customer (a customer token may only name itself). */
  customerId: string | number;
  /** What kind of feedback this is; it fixes the score's allowed range. */
  kind: FeedbackKind;
  /** Global id of the product the feedback is about, if any. */
  productId?: string | number | null | undefined;
  /** Score on the kind's scale: NPS 0–10, CSAT and REVIEW 1–5, SURVEY 0–100. */
  score?: number | null | undefined;
  /** Default: now. */
  submittedAt?: string | null | undefined;
  /** The customer's own words (personal data; scrubbed on erasure). */
  text?: string | null | undefined;
  /** Short topic label, e.g. `delivery`. */
  topic?: string | null | undefined;
};

/** An interaction to record for a customer. */
export type RecordInteractionInput = {
  /** Campaign tag the interaction belongs to, if any. */
  campaign?: string | null | undefined;
  /** Channel it happened on. */
  channel: InteractionChannel;
  /** Global id of the customer. */
  customerId: string | number;
  /** Default: now. */
  occurredAt?: string | null | undefined;
  /** Global id of the product concerned, if any. */
  productId?: string | number | null | undefined;
  /** Event attributes; at most 16 KiB of JSON. */
  properties?: Record<string, unknown> | null | undefined;
  /** Integration reporting it (at most 64 characters); default `api`. */
  source?: string | null | undefined;
  /** The sender's unique id for this event; makes the call idempotent. */
  sourceEventId?: string | null | undefined;
  /** What happened. */
  type: InteractionType;
};

/** An order to record for a customer. */
export type RecordOrderInput = {
  /** Where the order was placed. */
  channel: OrderChannel;
  /** ISO 4217 currency of every amount of the order. */
  currency: string;
  /** Global id of the customer. */
  customerId: string | number;
  /** Discount on the whole order, in minor units of `currency`; default 0. */
  discountMinor?: number | null | undefined;
  /** Order number in the source system; makes the call idempotent per source. */
  externalId?: string | null | undefined;
  /** 1 to 500 lines. */
  lines: Array<OrderLineInput>;
  /** When the order was placed (UTC; not in the future). */
  placedAt: string;
  /** A code used at checkout: an offer code, else a campaign code. The order then counts for it directly (README "Campaign insights"). */
  promoCode?: string | null | undefined;
  /** Integration reporting it (at most 64 characters); default `api`. With `externalId`, the deduplication key. */
  source?: string | null | undefined;
  /** Order status; default PLACED. */
  status?: OrderStatus | null | undefined;
};

/** A consent decision to append to the ledger (it never overwrites earlier records). */
export type SetConsentInput = {
  /** Default: ANY (the purpose on every channel). */
  channel?: ConsentChannel | null | undefined;
  /** Global id of the customer (a customer token may only name itself). */
  customerId: string | number;
  /** A grant for a limited time: from this instant it allows nothing (status in force `expired`). Only with GRANTED; after recordedAt. Default: no expiry. */
  expiresAt?: string | null | undefined;
  /** Default: CONSENT. */
  lawfulBasis?: LawfulBasis | null | undefined;
  /** Version of the privacy policy the customer saw. */
  policyVersion: string;
  /** The purpose decided on. */
  purpose: ConsentPurpose;
  /** When the customer decided; default: now. */
  recordedAt?: string | null | undefined;
  /** Where the decision was captured, e.g. "preference_centre". */
  source: string;
  /** The decision. */
  status: ConsentStatus;
};

/** Sort direction. */
export type SortDirection =
  /** Smallest (or earliest) first. */
  | 'ASC'
  /** Largest (or latest) first. */
  | 'DESC';

/** Omitted fields are left as they are; null clears a field. */
export type UpsertCustomerInput = {
  /** Postal address (replaces the stored one). */
  address?: PostalAddressInput | null | undefined;
  /** Date of birth (calendar date, e.g. 1990-04-01). */
  birthDate?: string | null | undefined;
  /** Normalised (trimmed, lower case) and recorded as an EMAIL identity. */
  email?: string | null | undefined;
  /** Given name. */
  firstName?: string | null | undefined;
  /** Update this customer. Without it, the customer is found by its identifiers or created. */
  id?: string | number | null | undefined;
  /** Makes the call idempotent per source (README "One ingestion pipeline"): a retry answers the customer first written; the same key with other content is a CONFLICT. */
  idempotencyKey?: string | null | undefined;
  /** Identifiers to attach; an identifier held by another customer answers CONFLICT, one of an erased person SUPPRESSED, except to a caller who may not learn whose an identifier is (a customer's own write), for whom such identifiers are neither linked nor reported. */
  identities?: Array<IdentifierInput> | null | undefined;
  /** Family name. */
  lastName?: string | null | undefined;
  /** BCP 47 language tag, e.g. `en-GB`. */
  locale?: string | null | undefined;
  /** International format; stored as E.164 and recorded as a PHONE identity. */
  phone?: string | null | undefined;
  /** Which system sends this (default "api"). */
  source?: string | null | undefined;
  /** Merged into the existing traits (top-level keys); null clears them. */
  traits?: Record<string, unknown> | null | undefined;
};

/** Creates the product with this sku, or updates it. */
export type UpsertProductInput = {
  /** Brand name. */
  brand?: string | null | undefined;
  /** Product category (stored in lower case). */
  category: string;
  /** ISO 4217 currency of the price. */
  currency: string;
  /** Product name (not empty). */
  name: string;
  /** List price in minor units. */
  priceMinor: number;
  /** Stock-keeping unit: the product's unique code. */
  sku: string;
  /** What one unit costs, in minor units of `currency` (for margin CLV; never shown on the graph). Omitted: none. */
  unitCostMinor?: number | null | undefined;
};

/** Peppers & Rogers value tiers. */
export type ValueTier =
  /** Returned at least as much as they kept (returned value ≥ kept order value). */
  | 'BELOW_ZERO'
  /** Every customer not in another tier (including those without metrics). */
  | 'MAINTAIN'
  /** Bottom half by predicted 12-month value, but likely alive (P(alive) ≥ 0.5) and still engaged (engagement decline < 0.5): worth investing in. */
  | 'MOST_GROWABLE'
  /** Top fifth of customers by predicted 12-month value. */
  | 'MOST_VALUABLE';

export type CustomerByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type CustomerByIdQuery = { customer: { id: string, status: CustomerStatus, firstName: string | null, lastName: string | null, email: string | null, phone: string | null, birthDate: string | null, locale: string | null, traits: Record<string, unknown>, address: { line1: string | null, city: string | null, postalCode: string | null, country: string | null } | null, identities: Array<{ kind: IdentityKind, namespace: string, value: string, source: string }> } | null };

export type CustomerByIdentifierQueryVariables = Exact<{
  kind: IdentityKind;
  value: string;
  namespace?: string | null | undefined;
}>;


export type CustomerByIdentifierQuery = { customerByIdentifier: { id: string, email: string | null } | null };

export type CustomersPageQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  filter?: CustomerFilter | null | undefined;
  orderBy?: CustomerOrderBy | null | undefined;
}>;


export type CustomersPageQuery = { customers: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, email: string | null, createdAt: string, lastSeenAt: string } }> } };

export type NodeByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeByIdQuery = { node:
    | { __typename: 'Campaign', id: string }
    | { __typename: 'ConsentRecord', id: string }
    | { __typename: 'Customer', email: string | null, id: string }
    | { __typename: 'Feedback', id: string }
    | { __typename: 'Interaction', id: string }
    | { __typename: 'Offer', id: string }
    | { __typename: 'Order', id: string, total: { amountMinor: number } }
    | { __typename: 'Product', id: string }
    | { __typename: 'Segment', id: string }
   | null };

export type CustomerInteractionsQueryVariables = Exact<{
  id: string | number;
  first: number;
  after?: string | null | undefined;
  filter?: InteractionFilter | null | undefined;
}>;


export type CustomerInteractionsQuery = { customer: { interactions: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, occurredAt: string, channel: InteractionChannel, type: InteractionType, campaign: string | null, properties: Record<string, unknown>, sourceEventId: string | null }> } } | null };

export type CustomerConsentsQueryVariables = Exact<{
  id: string | number;
}>;


export type CustomerConsentsQuery = { customer: { consents: { current: Array<{ id: string, purpose: ConsentPurpose, channel: ConsentChannel, status: ConsentStatus, lawfulBasis: LawfulBasis, source: string, policyVersion: string, recordedAt: string }>, history: { totalCount: number, nodes: Array<{ id: string, purpose: ConsentPurpose, channel: ConsentChannel, status: ConsentStatus }> } } } | null };

export type Customer360QueryVariables = Exact<{
  first: number;
  orders?: number | null | undefined;
  interactions?: number | null | undefined;
}>;


export type Customer360Query = { customers: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, firstName: string | null, lastName: string | null, email: string | null, identities: Array<{ kind: IdentityKind, namespace: string, value: string }>, orders: { totalCount: number, nodes: Array<{ id: string, placedAt: string, total: { amountMinor: number, currency: string, amount: string }, lines: Array<{ quantity: number, unitPrice: { amountMinor: number }, lineTotal: { amountMinor: number }, product: { id: string, sku: string, name: string, category: string } }> }> }, interactions: { totalCount: number, nodes: Array<{ id: string, occurredAt: string, channel: InteractionChannel, type: InteractionType, product: { sku: string } | null }> }, feedback: { nodes: Array<{ id: string, kind: FeedbackKind, score: number | null, text: string | null, status: FeedbackStatus }> }, consents: { current: Array<{ purpose: ConsentPurpose, channel: ConsentChannel, status: ConsentStatus, recordedAt: string }>, history: { totalCount: number, nodes: Array<{ purpose: ConsentPurpose, status: ConsentStatus }> } } }> } };

export type UpsertCustomerMutationVariables = Exact<{
  input: UpsertCustomerInput;
}>;


export type UpsertCustomerMutation = { upsertCustomer: { created: boolean, customer: { id: string, firstName: string | null, lastName: string | null, email: string | null, phone: string | null, locale: string | null, birthDate: string | null, traits: Record<string, unknown>, identities: Array<{ kind: IdentityKind, namespace: string, value: string }> } } };

export type UpsertProductMutationVariables = Exact<{
  input: UpsertProductInput;
}>;


export type UpsertProductMutation = { upsertProduct: { id: string, sku: string, name: string, category: string, price: { amountMinor: number, currency: string } } };

export type RecordOrderMutationVariables = Exact<{
  input: RecordOrderInput;
}>;


export type RecordOrderMutation = { recordOrder: { created: boolean, order: { id: string, externalId: string | null, placedAt: string, channel: OrderChannel, status: OrderStatus, subtotal: { amountMinor: number, currency: string }, discount: { amountMinor: number }, total: { amountMinor: number, amount: string, currency: string }, lines: Array<{ quantity: number, unitPrice: { amountMinor: number }, lineTotal: { amountMinor: number }, product: { sku: string } }>, customer: { id: string, lastSeenAt: string } } } };

export type RecordInteractionMutationVariables = Exact<{
  input: RecordInteractionInput;
}>;


export type RecordInteractionMutation = { recordInteraction: { duplicate: boolean, interaction: { id: string, occurredAt: string, channel: InteractionChannel, type: InteractionType, properties: Record<string, unknown>, sourceEventId: string | null, product: { sku: string } | null } } };

export type RecordFeedbackMutationVariables = Exact<{
  input: RecordFeedbackInput;
}>;


export type RecordFeedbackMutation = { recordFeedback: { id: string, kind: FeedbackKind, score: number | null, text: string | null, topic: string | null, status: FeedbackStatus, submittedAt: string, product: { sku: string } | null } };

export type SetConsentMutationVariables = Exact<{
  input: SetConsentInput;
}>;


export type SetConsentMutation = { setConsent: { id: string, purpose: ConsentPurpose, channel: ConsentChannel, status: ConsentStatus, lawfulBasis: LawfulBasis, source: string, policyVersion: string, recordedAt: string } };


export const CustomerByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CustomerById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"firstName"}},{"kind":"Field","name":{"kind":"Name","value":"lastName"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"birthDate"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"address"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"line1"}},{"kind":"Field","name":{"kind":"Name","value":"city"}},{"kind":"Field","name":{"kind":"Name","value":"postalCode"}},{"kind":"Field","name":{"kind":"Name","value":"country"}}]}},{"kind":"Field","name":{"kind":"Name","value":"traits"}},{"kind":"Field","name":{"kind":"Name","value":"identities"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}}]}}]} as unknown as DocumentNode<CustomerByIdQuery, CustomerByIdQueryVariables>;
export const CustomerByIdentifierDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CustomerByIdentifier"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"kind"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"IdentityKind"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"value"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"namespace"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customerByIdentifier"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"kind"},"value":{"kind":"Variable","name":{"kind":"Name","value":"kind"}}},{"kind":"Argument","name":{"kind":"Name","value":"value"},"value":{"kind":"Variable","name":{"kind":"Name","value":"value"}}},{"kind":"Argument","name":{"kind":"Name","value":"namespace"},"value":{"kind":"Variable","name":{"kind":"Name","value":"namespace"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}}]}}]}}]} as unknown as DocumentNode<CustomerByIdentifierQuery, CustomerByIdentifierQueryVariables>;
export const CustomersPageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CustomersPage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"CustomerFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"CustomerOrderBy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeenAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<CustomersPageQuery, CustomersPageQueryVariables>;
export const NodeByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NodeById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Customer"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"email"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Order"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<NodeByIdQuery, NodeByIdQueryVariables>;
export const CustomerInteractionsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CustomerInteractions"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"InteractionFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"interactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"campaign"}},{"kind":"Field","name":{"kind":"Name","value":"properties"}},{"kind":"Field","name":{"kind":"Name","value":"sourceEventId"}}]}}]}}]}}]}}]} as unknown as DocumentNode<CustomerInteractionsQuery, CustomerInteractionsQueryVariables>;
export const CustomerConsentsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"CustomerConsents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"consents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"current"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"purpose"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lawfulBasis"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"policyVersion"}},{"kind":"Field","name":{"kind":"Name","value":"recordedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"history"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"purpose"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<CustomerConsentsQuery, CustomerConsentsQueryVariables>;
export const Customer360Document = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Customer360"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orders"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"3"}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"interactions"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"firstName"}},{"kind":"Field","name":{"kind":"Name","value":"lastName"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"identities"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}},{"kind":"Field","name":{"kind":"Name","value":"orders"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orders"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"placedAt"}},{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lines"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"unitPrice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lineTotal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"category"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"interactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"interactions"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"feedback"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"consents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"current"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"purpose"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"recordedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"history"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"purpose"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<Customer360Query, Customer360QueryVariables>;
export const UpsertCustomerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpsertCustomer"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpsertCustomerInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upsertCustomer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"created"}},{"kind":"Field","name":{"kind":"Name","value":"customer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"firstName"}},{"kind":"Field","name":{"kind":"Name","value":"lastName"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"locale"}},{"kind":"Field","name":{"kind":"Name","value":"birthDate"}},{"kind":"Field","name":{"kind":"Name","value":"traits"}},{"kind":"Field","name":{"kind":"Name","value":"identities"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"value"}}]}}]}}]}}]}}]} as unknown as DocumentNode<UpsertCustomerMutation, UpsertCustomerMutationVariables>;
export const UpsertProductDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpsertProduct"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpsertProductInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"upsertProduct"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"category"}},{"kind":"Field","name":{"kind":"Name","value":"price"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}}]}}]}}]} as unknown as DocumentNode<UpsertProductMutation, UpsertProductMutationVariables>;
export const RecordOrderDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordOrder"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RecordOrderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordOrder"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"created"}},{"kind":"Field","name":{"kind":"Name","value":"order"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"externalId"}},{"kind":"Field","name":{"kind":"Name","value":"placedAt"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"subtotal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"discount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"currency"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lines"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"unitPrice"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lineTotal"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"amountMinor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"customer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeenAt"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RecordOrderMutation, RecordOrderMutationVariables>;
export const RecordInteractionDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordInteraction"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RecordInteractionInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordInteraction"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"duplicate"}},{"kind":"Field","name":{"kind":"Name","value":"interaction"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"properties"}},{"kind":"Field","name":{"kind":"Name","value":"sourceEventId"}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}}]}}]}}]}}]}}]} as unknown as DocumentNode<RecordInteractionMutation, RecordInteractionMutationVariables>;
export const RecordFeedbackDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordFeedback"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RecordFeedbackInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordFeedback"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"score"}},{"kind":"Field","name":{"kind":"Name","value":"text"}},{"kind":"Field","name":{"kind":"Name","value":"topic"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"submittedAt"}},{"kind":"Field","name":{"kind":"Name","value":"product"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}}]}}]}}]}}]} as unknown as DocumentNode<RecordFeedbackMutation, RecordFeedbackMutationVariables>;
export const SetConsentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetConsent"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetConsentInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setConsent"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"purpose"}},{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lawfulBasis"}},{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"policyVersion"}},{"kind":"Field","name":{"kind":"Name","value":"recordedAt"}}]}}]}}]} as unknown as DocumentNode<SetConsentMutation, SetConsentMutationVariables>;