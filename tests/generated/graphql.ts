/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A field whose value is a Currency: https://en.wikipedia.org/wiki/ISO_4217. */
  Currency: { input: string; output: string; }
  /** A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of dates and times using the Gregorian calendar. */
  DateTime: { input: string; output: string; }
  /** A field whose value conforms to the standard internet email address format as specified in HTML Spec: https://html.spec.whatwg.org/multipage/input.html#valid-e-mail-address. */
  EmailAddress: { input: string; output: string; }
  /** The `JSONObject` scalar type represents JSON objects as specified by [ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf). */
  JSONObject: { input: Record<string, unknown>; output: Record<string, unknown>; }
  /** A local date string (i.e., with no associated timezone) in `YYYY-MM-DD` format, e.g. `2020-01-01`. */
  LocalDate: { input: string; output: string; }
  /** Integers that will have a value of 0 or more. */
  NonNegativeInt: { input: number; output: number; }
  /** Integers that will have a value greater than 0. */
  PositiveInt: { input: number; output: number; }
  /** The `SafeInt` scalar type represents non-fractional signed whole numeric values that are considered safe as defined by the ECMAScript specification. */
  SafeInt: { input: number; output: number; }
};

export type ConsentChannel =
  /** Applies to the purpose on every channel. */
  | 'ANY'
  | 'EMAIL'
  | 'PHONE'
  | 'POST'
  | 'PUSH'
  | 'SMS'
  | 'WEB';

export type ConsentPurpose =
  | 'ANALYTICS'
  | 'EMAIL_MARKETING'
  | 'PERSONALIZATION'
  | 'PHONE_MARKETING'
  | 'PROFILING'
  | 'PUSH_MARKETING'
  | 'SMS_MARKETING'
  | 'THIRD_PARTY_SHARING';

export type ConsentRecord = Node & {
  __typename?: 'ConsentRecord';
  channel: ConsentChannel;
  customer: Customer;
  id: Scalars['ID']['output'];
  lawfulBasis: LawfulBasis;
  policyVersion: Scalars['String']['output'];
  purpose: ConsentPurpose;
  recordedAt: Scalars['DateTime']['output'];
  /** Where the decision was captured (preference_centre, checkout, support…). */
  source: Scalars['String']['output'];
  status: ConsentStatus;
};

export type ConsentRecordConnection = {
  __typename?: 'ConsentRecordConnection';
  edges: Array<ConsentRecordEdge>;
  /** The nodes of `edges`, for clients that need no cursors. */
  nodes: Array<ConsentRecord>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type ConsentRecordEdge = {
  __typename?: 'ConsentRecordEdge';
  cursor: Scalars['String']['output'];
  node: ConsentRecord;
};

export type ConsentStatus =
  | 'DENIED'
  | 'GRANTED'
  | 'WITHDRAWN';

export type Customer = Node & {
  __typename?: 'Customer';
  address?: Maybe<PostalAddress>;
  birthDate?: Maybe<Scalars['LocalDate']['output']>;
  consents: CustomerConsents;
  createdAt: Scalars['DateTime']['output'];
  email?: Maybe<Scalars['EmailAddress']['output']>;
  /** Feedback, newest first. */
  feedback: FeedbackConnection;
  firstName?: Maybe<Scalars['String']['output']>;
  firstSeenAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  identities: Array<Identity>;
  /** Interactions, newest first. */
  interactions: InteractionConnection;
  lastName?: Maybe<Scalars['String']['output']>;
  lastSeenAt: Scalars['DateTime']['output'];
  /** BCP 47 language tag, e.g. en-GB. */
  locale?: Maybe<Scalars['String']['output']>;
  /** Orders, newest first. */
  orders: OrderConnection;
  /** Primary phone number in E.164 format. */
  phone?: Maybe<Scalars['String']['output']>;
  status: CustomerStatus;
  /** Free-form attributes from source systems. */
  traits: Scalars['JSONObject']['output'];
  updatedAt: Scalars['DateTime']['output'];
};


export type CustomerFeedbackArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  kinds?: InputMaybe<Array<FeedbackKind>>;
};


export type CustomerInteractionsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<InteractionFilter>;
  first?: Scalars['Int']['input'];
};


export type CustomerOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};

export type CustomerConnection = {
  __typename?: 'CustomerConnection';
  edges: Array<CustomerEdge>;
  /** The nodes of `edges`, for clients that need no cursors. */
  nodes: Array<Customer>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type CustomerConsents = {
  __typename?: 'CustomerConsents';
  /** The decision in force for each purpose and channel that has one. */
  current: Array<ConsentRecord>;
  /** Every consent record, newest first. */
  history: ConsentRecordConnection;
};


export type CustomerConsentsHistoryArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
  purpose?: InputMaybe<ConsentPurpose>;
};

export type CustomerEdge = {
  __typename?: 'CustomerEdge';
  cursor: Scalars['String']['output'];
  node: Customer;
};

export type CustomerFilter = {
  createdAfter?: InputMaybe<Scalars['DateTime']['input']>;
  createdBefore?: InputMaybe<Scalars['DateTime']['input']>;
  email?: InputMaybe<Scalars['String']['input']>;
  lastSeenAfter?: InputMaybe<Scalars['DateTime']['input']>;
  lastSeenBefore?: InputMaybe<Scalars['DateTime']['input']>;
  /** Case-insensitive substring of name or email (2-100 characters). */
  search?: InputMaybe<Scalars['String']['input']>;
  /** Default: ACTIVE only. */
  status?: InputMaybe<Array<CustomerStatus>>;
};

export type CustomerOrderBy = {
  direction?: SortDirection;
  field?: CustomerSortField;
};

export type CustomerSortField =
  | 'CREATED_AT'
  | 'LAST_SEEN_AT';

export type CustomerStatus =
  | 'ACTIVE'
  | 'ERASED'
  | 'MERGED';

export type Feedback = Node & {
  __typename?: 'Feedback';
  channel?: Maybe<InteractionChannel>;
  createdAt: Scalars['DateTime']['output'];
  customer: Customer;
  id: Scalars['ID']['output'];
  kind: FeedbackKind;
  product?: Maybe<Product>;
  resolvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** NPS 0-10, CSAT 1-5, review 1-5, survey 0-100. */
  score?: Maybe<Scalars['Int']['output']>;
  status: FeedbackStatus;
  submittedAt: Scalars['DateTime']['output'];
  text?: Maybe<Scalars['String']['output']>;
  topic?: Maybe<Scalars['String']['output']>;
};

export type FeedbackConnection = {
  __typename?: 'FeedbackConnection';
  edges: Array<FeedbackEdge>;
  /** The nodes of `edges`, for clients that need no cursors. */
  nodes: Array<Feedback>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type FeedbackEdge = {
  __typename?: 'FeedbackEdge';
  cursor: Scalars['String']['output'];
  node: Feedback;
};

export type FeedbackKind =
  | 'COMPLAINT'
  | 'CSAT'
  | 'NPS'
  | 'REVIEW'
  | 'SUGGESTION'
  | 'SURVEY';

export type FeedbackStatus =
  | 'ACKNOWLEDGED'
  | 'OPEN'
  | 'RESOLVED';

export type IdentifierInput = {
  kind: IdentityKind;
  /** Source system for EXTERNAL_ID and CRM_ID (e.g. "shopify"). */
  namespace?: InputMaybe<Scalars['String']['input']>;
  value: Scalars['String']['input'];
};

export type Identity = {
  __typename?: 'Identity';
  createdAt: Scalars['DateTime']['output'];
  kind: IdentityKind;
  namespace: Scalars['String']['output'];
  source: Scalars['String']['output'];
  /** Normalised value: lower-case email, E.164 phone, or the id as given. */
  value: Scalars['String']['output'];
};

export type IdentityKind =
  | 'CRM_ID'
  | 'DEVICE'
  | 'EMAIL'
  | 'EXTERNAL_ID'
  | 'LOYALTY_CARD'
  | 'PHONE';

export type Interaction = Node & {
  __typename?: 'Interaction';
  /** Campaign code the interaction belongs to, if any. */
  campaign?: Maybe<Scalars['String']['output']>;
  channel: InteractionChannel;
  createdAt: Scalars['DateTime']['output'];
  customer: Customer;
  id: Scalars['ID']['output'];
  occurredAt: Scalars['DateTime']['output'];
  product?: Maybe<Product>;
  properties: Scalars['JSONObject']['output'];
  source: Scalars['String']['output'];
  sourceEventId?: Maybe<Scalars['String']['output']>;
  type: InteractionType;
};

export type InteractionChannel =
  | 'APP'
  | 'CHAT'
  | 'EMAIL'
  | 'PHONE'
  | 'PUSH'
  | 'SMS'
  | 'SOCIAL'
  | 'STORE'
  | 'SUPPORT'
  | 'WEB';

export type InteractionConnection = {
  __typename?: 'InteractionConnection';
  edges: Array<InteractionEdge>;
  /** The nodes of `edges`, for clients that need no cursors. */
  nodes: Array<Interaction>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type InteractionEdge = {
  __typename?: 'InteractionEdge';
  cursor: Scalars['String']['output'];
  node: Interaction;
};

export type InteractionFilter = {
  campaign?: InputMaybe<Scalars['String']['input']>;
  channels?: InputMaybe<Array<InteractionChannel>>;
  /** Inclusive lower bound of occurredAt. */
  since?: InputMaybe<Scalars['DateTime']['input']>;
  types?: InputMaybe<Array<InteractionType>>;
  /** Exclusive upper bound of occurredAt. */
  until?: InputMaybe<Scalars['DateTime']['input']>;
};

export type InteractionType =
  | 'CALL'
  | 'CART_ABANDON'
  | 'CART_ADD'
  | 'CHAT_MESSAGE'
  | 'EMAIL_CLICK'
  | 'EMAIL_OPEN'
  | 'EMAIL_SEND'
  | 'OFFER_ACCEPTED'
  | 'OFFER_REJECTED'
  | 'OFFER_SHOWN'
  | 'PAGE_VIEW'
  | 'PRODUCT_VIEW'
  | 'PUSH_SEND'
  | 'SEARCH'
  | 'SMS_SEND'
  | 'SOCIAL_MENTION'
  | 'STORE_VISIT'
  | 'TICKET';

export type LawfulBasis =
  | 'CONSENT'
  | 'CONTRACT'
  | 'LEGAL_OBLIGATION'
  | 'LEGITIMATE_INTEREST';

export type Money = {
  __typename?: 'Money';
  /** Decimal amount as a string, e.g. "12.30", exact (no floating point). */
  amount: Scalars['String']['output'];
  /** Amount in minor units of the currency (e.g. cents). */
  amountMinor: Scalars['SafeInt']['output'];
  /** ISO 4217 currency code. */
  currency: Scalars['Currency']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  recordFeedback: Feedback;
  recordInteraction: RecordInteractionPayload;
  /** Records an order with its lines; totals are computed here, in integer minor units. */
  recordOrder: RecordOrderPayload;
  /** Appends a consent decision to the ledger. Records are never changed or deleted. */
  setConsent: ConsentRecord;
  /** Creates a customer or updates the one matching its id or identifiers. */
  upsertCustomer: UpsertCustomerPayload;
  upsertProduct: Product;
};


export type MutationRecordFeedbackArgs = {
  input: RecordFeedbackInput;
};


export type MutationRecordInteractionArgs = {
  input: RecordInteractionInput;
};


export type MutationRecordOrderArgs = {
  input: RecordOrderInput;
};


export type MutationSetConsentArgs = {
  input: SetConsentInput;
};


export type MutationUpsertCustomerArgs = {
  input: UpsertCustomerInput;
};


export type MutationUpsertProductArgs = {
  input: UpsertProductInput;
};

/** An object with a globally unique, opaque ID (Relay Global Object Identification). */
export type Node = {
  id: Scalars['ID']['output'];
};

export type Order = Node & {
  __typename?: 'Order';
  channel: OrderChannel;
  createdAt: Scalars['DateTime']['output'];
  customer: Customer;
  discount: Money;
  externalId?: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  lines: Array<OrderLine>;
  placedAt: Scalars['DateTime']['output'];
  source: Scalars['String']['output'];
  status: OrderStatus;
  subtotal: Money;
  total: Money;
};

export type OrderChannel =
  | 'APP'
  | 'MARKETPLACE'
  | 'PARTNER'
  | 'PHONE'
  | 'STORE'
  | 'WEB';

export type OrderConnection = {
  __typename?: 'OrderConnection';
  edges: Array<OrderEdge>;
  /** The nodes of `edges`, for clients that need no cursors. */
  nodes: Array<Order>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type OrderEdge = {
  __typename?: 'OrderEdge';
  cursor: Scalars['String']['output'];
  node: Order;
};

export type OrderLine = {
  __typename?: 'OrderLine';
  lineTotal: Money;
  product: Product;
  quantity: Scalars['Int']['output'];
  unitPrice: Money;
};

/** Name the product by productId or by sku (exactly one). */
export type OrderLineInput = {
  productId?: InputMaybe<Scalars['ID']['input']>;
  quantity: Scalars['PositiveInt']['input'];
  sku?: InputMaybe<Scalars['String']['input']>;
  /** Minor units; default: the product's list price (same currency only). */
  unitPriceMinor?: InputMaybe<Scalars['NonNegativeInt']['input']>;
};

export type OrderStatus =
  | 'CANCELLED'
  | 'DELIVERED'
  | 'PAID'
  | 'PLACED'
  | 'RETURNED'
  | 'SHIPPED';

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  /** Always false: connections paginate forward (first/after). */
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor?: Maybe<Scalars['String']['output']>;
};

export type PostalAddress = {
  __typename?: 'PostalAddress';
  city?: Maybe<Scalars['String']['output']>;
  /** ISO 3166-1 alpha-2 country code. */
  country?: Maybe<Scalars['String']['output']>;
  line1?: Maybe<Scalars['String']['output']>;
  line2?: Maybe<Scalars['String']['output']>;
  postalCode?: Maybe<Scalars['String']['output']>;
  region?: Maybe<Scalars['String']['output']>;
};

export type PostalAddressInput = {
  city?: InputMaybe<Scalars['String']['input']>;
  country?: InputMaybe<Scalars['String']['input']>;
  line1?: InputMaybe<Scalars['String']['input']>;
  line2?: InputMaybe<Scalars['String']['input']>;
  postalCode?: InputMaybe<Scalars['String']['input']>;
  region?: InputMaybe<Scalars['String']['input']>;
};

export type Product = Node & {
  __typename?: 'Product';
  /** Brand, author or maker. */
  brand?: Maybe<Scalars['String']['output']>;
  category: Scalars['String']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
  price: Money;
  sku: Scalars['String']['output'];
};

export type ProductConnection = {
  __typename?: 'ProductConnection';
  edges: Array<ProductEdge>;
  /** The nodes of `edges`, for clients that need no cursors. */
  nodes: Array<Product>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
};

export type ProductEdge = {
  __typename?: 'ProductEdge';
  cursor: Scalars['String']['output'];
  node: Product;
};

export type Query = {
  __typename?: 'Query';
  /** A customer by global id; null when there is none. */
  customer?: Maybe<Customer>;
  /** The customer an identifier (normalised first) belongs to. */
  customerByIdentifier?: Maybe<Customer>;
  customers: CustomerConnection;
  /** Fetches any object by its global id. */
  node?: Maybe<Node>;
  /** Fetches objects by global id; null for each id that names nothing. At most 100. */
  nodes: Array<Maybe<Node>>;
  product?: Maybe<Product>;
  /** The catalogue, ordered by sku. */
  products: ProductConnection;
};


export type QueryCustomerArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCustomerByIdentifierArgs = {
  kind: IdentityKind;
  namespace?: InputMaybe<Scalars['String']['input']>;
  value: Scalars['String']['input'];
};


export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<CustomerFilter>;
  first?: Scalars['Int']['input'];
  orderBy?: InputMaybe<CustomerOrderBy>;
};


export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


export type QueryProductArgs = {
  id: Scalars['ID']['input'];
};


export type QueryProductsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  category?: InputMaybe<Scalars['String']['input']>;
  first?: Scalars['Int']['input'];
};

/** NPS needs a score 0-10, CSAT and REVIEW 1-5, SURVEY takes 0-100; COMPLAINT and SUGGESTION need text. */
export type RecordFeedbackInput = {
  channel?: InputMaybe<InteractionChannel>;
  customerId: Scalars['ID']['input'];
  kind: FeedbackKind;
  productId?: InputMaybe<Scalars['ID']['input']>;
  score?: InputMaybe<Scalars['Int']['input']>;
  /** Default: now. */
  submittedAt?: InputMaybe<Scalars['DateTime']['input']>;
  text?: InputMaybe<Scalars['String']['input']>;
  topic?: InputMaybe<Scalars['String']['input']>;
};

export type RecordInteractionInput = {
  campaign?: InputMaybe<Scalars['String']['input']>;
  channel: InteractionChannel;
  customerId: Scalars['ID']['input'];
  /** Default: now. */
  occurredAt?: InputMaybe<Scalars['DateTime']['input']>;
  productId?: InputMaybe<Scalars['ID']['input']>;
  /** Event attributes; at most 16 KiB of JSON. */
  properties?: InputMaybe<Scalars['JSONObject']['input']>;
  source?: InputMaybe<Scalars['String']['input']>;
  /** The sender's unique id for this event; makes the call idempotent. */
  sourceEventId?: InputMaybe<Scalars['String']['input']>;
  type: InteractionType;
};

export type RecordInteractionPayload = {
  __typename?: 'RecordInteractionPayload';
  /** True when this sourceEventId had already been recorded; nothing new was stored. */
  duplicate: Scalars['Boolean']['output'];
  interaction: Interaction;
};

export type RecordOrderInput = {
  channel: OrderChannel;
  currency: Scalars['Currency']['input'];
  customerId: Scalars['ID']['input'];
  discountMinor?: InputMaybe<Scalars['NonNegativeInt']['input']>;
  /** Order number in the source system; makes the call idempotent per source. */
  externalId?: InputMaybe<Scalars['String']['input']>;
  /** 1 to 500 lines. */
  lines: Array<OrderLineInput>;
  placedAt: Scalars['DateTime']['input'];
  source?: InputMaybe<Scalars['String']['input']>;
  status?: InputMaybe<OrderStatus>;
};

export type RecordOrderPayload = {
  __typename?: 'RecordOrderPayload';
  /** False when the same order (source + externalId) had already been recorded. */
  created: Scalars['Boolean']['output'];
  order: Order;
};

export type SetConsentInput = {
  /** Default: ANY (the purpose on every channel). */
  channel?: InputMaybe<ConsentChannel>;
  customerId: Scalars['ID']['input'];
  /** Default: CONSENT. */
  lawfulBasis?: InputMaybe<LawfulBasis>;
  /** Version of the privacy policy the customer saw. */
  policyVersion: Scalars['String']['input'];
  purpose: ConsentPurpose;
  /** When the customer decided; default: now. */
  recordedAt?: InputMaybe<Scalars['DateTime']['input']>;
  /** Where the decision was captured, e.g. "preference_centre". */
  source: Scalars['String']['input'];
  status: ConsentStatus;
};

export type SortDirection =
  | 'ASC'
  | 'DESC';

/** Omitted fields are left as they are; null clears a field. */
export type UpsertCustomerInput = {
  address?: InputMaybe<PostalAddressInput>;
  birthDate?: InputMaybe<Scalars['LocalDate']['input']>;
  /** Normalised (trimmed, lower case) and recorded as an EMAIL identity. */
  email?: InputMaybe<Scalars['String']['input']>;
  firstName?: InputMaybe<Scalars['String']['input']>;
  /** Update this customer. Without it, the customer is found by its identifiers or created. */
  id?: InputMaybe<Scalars['ID']['input']>;
  identities?: InputMaybe<Array<IdentifierInput>>;
  lastName?: InputMaybe<Scalars['String']['input']>;
  locale?: InputMaybe<Scalars['String']['input']>;
  /** International format; stored as E.164 and recorded as a PHONE identity. */
  phone?: InputMaybe<Scalars['String']['input']>;
  /** Which system sends this (default "api"). */
  source?: InputMaybe<Scalars['String']['input']>;
  /** Merged into the existing traits (top-level keys); null clears them. */
  traits?: InputMaybe<Scalars['JSONObject']['input']>;
};

export type UpsertCustomerPayload = {
  __typename?: 'UpsertCustomerPayload';
  /** True when no existing customer matched and a new profile was created. */
  created: Scalars['Boolean']['output'];
  customer: Customer;
};

/** Creates the product with this sku, or updates it. */
export type UpsertProductInput = {
  brand?: InputMaybe<Scalars['String']['input']>;
  category: Scalars['String']['input'];
  currency: Scalars['Currency']['input'];
  name: Scalars['String']['input'];
  /** List price in minor units. */
  priceMinor: Scalars['NonNegativeInt']['input'];
  sku: Scalars['String']['input'];
};

export type ConsentChannel =
  /** Applies to the purpose on every channel. */
  | 'ANY'
  | 'EMAIL'
  | 'PHONE'
  | 'POST'
  | 'PUSH'
  | 'SMS'
  | 'WEB';

export type ConsentPurpose =
  | 'ANALYTICS'
  | 'EMAIL_MARKETING'
  | 'PERSONALIZATION'
  | 'PHONE_MARKETING'
  | 'PROFILING'
  | 'PUSH_MARKETING'
  | 'SMS_MARKETING'
  | 'THIRD_PARTY_SHARING';

export type ConsentStatus =
  | 'DENIED'
  | 'GRANTED'
  | 'WITHDRAWN';

export type CustomerFilter = {
  createdAfter?: string | null | undefined;
  createdBefore?: string | null | undefined;
  email?: string | null | undefined;
  lastSeenAfter?: string | null | undefined;
  lastSeenBefore?: string | null | undefined;
  /** Case-insensitive substring of name or email (2-100 characters). */
  search?: string | null | undefined;
  /** Default: ACTIVE only. */
  status?: Array<CustomerStatus> | null | undefined;
};

export type CustomerOrderBy = {
  direction?: SortDirection;
  field?: CustomerSortField;
};

export type CustomerSortField =
  | 'CREATED_AT'
  | 'LAST_SEEN_AT';

export type CustomerStatus =
  | 'ACTIVE'
  | 'ERASED'
  | 'MERGED';

export type FeedbackKind =
  | 'COMPLAINT'
  | 'CSAT'
  | 'NPS'
  | 'REVIEW'
  | 'SUGGESTION'
  | 'SURVEY';

export type FeedbackStatus =
  | 'ACKNOWLEDGED'
  | 'OPEN'
  | 'RESOLVED';

export type IdentifierInput = {
  kind: IdentityKind;
  /** Source system for EXTERNAL_ID and CRM_ID (e.g. "shopify"). */
  namespace?: string | null | undefined;
  value: string;
};

export type IdentityKind =
  | 'CRM_ID'
  | 'DEVICE'
  | 'EMAIL'
  | 'EXTERNAL_ID'
  | 'LOYALTY_CARD'
  | 'PHONE';

export type InteractionChannel =
  | 'APP'
  | 'CHAT'
  | 'EMAIL'
  | 'PHONE'
  | 'PUSH'
  | 'SMS'
  | 'SOCIAL'
  | 'STORE'
  | 'SUPPORT'
  | 'WEB';

export type InteractionFilter = {
  campaign?: string | null | undefined;
  channels?: Array<InteractionChannel> | null | undefined;
  /** Inclusive lower bound of occurredAt. */
  since?: string | null | undefined;
  types?: Array<InteractionType> | null | undefined;
  /** Exclusive upper bound of occurredAt. */
  until?: string | null | undefined;
};

export type InteractionType =
  | 'CALL'
  | 'CART_ABANDON'
  | 'CART_ADD'
  | 'CHAT_MESSAGE'
  | 'EMAIL_CLICK'
  | 'EMAIL_OPEN'
  | 'EMAIL_SEND'
  | 'OFFER_ACCEPTED'
  | 'OFFER_REJECTED'
  | 'OFFER_SHOWN'
  | 'PAGE_VIEW'
  | 'PRODUCT_VIEW'
  | 'PUSH_SEND'
  | 'SEARCH'
  | 'SMS_SEND'
  | 'SOCIAL_MENTION'
  | 'STORE_VISIT'
  | 'TICKET';

export type LawfulBasis =
  | 'CONSENT'
  | 'CONTRACT'
  | 'LEGAL_OBLIGATION'
  | 'LEGITIMATE_INTEREST';

export type OrderChannel =
  | 'APP'
  | 'MARKETPLACE'
  | 'PARTNER'
  | 'PHONE'
  | 'STORE'
  | 'WEB';

/** Name the product by productId or by sku (exactly one). */
export type OrderLineInput = {
  productId?: string | number | null | undefined;
  quantity: number;
  sku?: string | null | undefined;
  /** Minor units; default: the product's list price (same currency only). */
  unitPriceMinor?: number | null | undefined;
};

export type OrderStatus =
  | 'CANCELLED'
  | 'DELIVERED'
  | 'PAID'
  | 'PLACED'
  | 'RETURNED'
  | 'SHIPPED';

export type PostalAddressInput = {
  city?: string | null | undefined;
  country?: string | null | undefined;
  line1?: string | null | undefined;
  line2?: string | null | undefined;
  postalCode?: string | null | undefined;
  region?: string | null | undefined;
};

/** NPS needs a score 0-10, CSAT and REVIEW 1-5, SURVEY takes 0-100; COMPLAINT and SUGGESTION need text. */
export type RecordFeedbackInput = {
  channel?: InteractionChannel | null | undefined;
  customerId: string | number;
  kind: FeedbackKind;
  productId?: string | number | null | undefined;
  score?: number | null | undefined;
  /** Default: now. */
  submittedAt?: string | null | undefined;
  text?: string | null | undefined;
  topic?: string | null | undefined;
};

export type RecordInteractionInput = {
  campaign?: string | null | undefined;
  channel: InteractionChannel;
  customerId: string | number;
  /** Default: now. */
  occurredAt?: string | null | undefined;
  productId?: string | number | null | undefined;
  /** Event attributes; at most 16 KiB of JSON. */
  properties?: Record<string, unknown> | null | undefined;
  source?: string | null | undefined;
  /** The sender's unique id for this event; makes the call idempotent. */
  sourceEventId?: string | null | undefined;
  type: InteractionType;
};

export type RecordOrderInput = {
  channel: OrderChannel;
  currency: string;
  customerId: string | number;
  discountMinor?: number | null | undefined;
  /** Order number in the source system; makes the call idempotent per source. */
  externalId?: string | null | undefined;
  /** 1 to 500 lines. */
  lines: Array<OrderLineInput>;
  placedAt: string;
  source?: string | null | undefined;
  status?: OrderStatus | null | undefined;
};

export type SetConsentInput = {
  /** Default: ANY (the purpose on every channel). */
  channel?: ConsentChannel | null | undefined;
  customerId: string | number;
  /** Default: CONSENT. */
  lawfulBasis?: LawfulBasis | null | undefined;
  /** Version of the privacy policy the customer saw. */
  policyVersion: string;
  purpose: ConsentPurpose;
  /** When the customer decided; default: now. */
  recordedAt?: string | null | undefined;
  /** Where the decision was captured, e.g. "preference_centre". */
  source: string;
  status: ConsentStatus;
};

export type SortDirection =
  | 'ASC'
  | 'DESC';

/** Omitted fields are left as they are; null clears a field. */
export type UpsertCustomerInput = {
  address?: PostalAddressInput | null | undefined;
  birthDate?: string | null | undefined;
  /** Normalised (trimmed, lower case) and recorded as an EMAIL identity. */
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  /** Update this customer. Without it, the customer is found by its identifiers or created. */
  id?: string | number | null | undefined;
  identities?: Array<IdentifierInput> | null | undefined;
  lastName?: string | null | undefined;
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
  brand?: string | null | undefined;
  category: string;
  currency: string;
  name: string;
  /** List price in minor units. */
  priceMinor: number;
  sku: string;
};

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
    | { __typename: 'ConsentRecord', id: string }
    | { __typename: 'Customer', email: string | null, id: string }
    | { __typename: 'Feedback', id: string }
    | { __typename: 'Interaction', id: string }
    | { __typename: 'Order', id: string, total: { amountMinor: number } }
    | { __typename: 'Product', id: string }
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