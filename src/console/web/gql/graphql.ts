/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
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

/** Whether a customer profile is live. */
export type CustomerStatus =
  /** A live profile. */
  | 'ACTIVE'
  /** Personal data removed on request (right to erasure); orders and the consent ledger remain. */
  | 'ERASED'
  /** Merged into another profile (the survivor), which now holds all its data. */
  | 'MERGED';

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

/** Why personalised output (inferred preferences, recommendations) is not given. */
export type PersonalizationUnavailableReason =
  /** The profile was merged or erased. */
  | 'CUSTOMER_NOT_ACTIVE'
  /** The consent in force for PERSONALIZATION (ANY channel) is not GRANTED. */
  | 'NO_PERSONALIZATION_CONSENT';

/** How a recommendation was found. */
export type RecommendationSource =
  /** Often bought together with something the customer bought. */
  | 'CO_PURCHASE'
  /** Popular in a category the customer prefers. */
  | 'POPULAR_IN_CATEGORY';

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

export type ConsoleCustomerQueryVariables = Exact<{
  id: string | number;
}>;


export type ConsoleCustomerQuery = { profile: { id: string, status: CustomerStatus, firstName: string | null, lastName: string | null, email: string | null, phone: string | null, birthDate: string | null, locale: string | null, firstSeenAt: string, lastSeenAt: string } | null, identities: { id: string, identities: Array<{ kind: IdentityKind, namespace: string, value: string, source: string, createdAt: string }> } | null, value: { id: string, value: { lifecycleStage: LifecycleStage, valueTier: ValueTier, rfmSegment: string, ordersCount: number, frequency: number, recencyDays: number | null, pAlive: number | null, churnRisk: number | null, engagementDecline: number, negativeFeedback90d: number, modelScoresAvailable: boolean, modelScoresUnavailableReason: string | null, computedAt: string, historicValue: { amount: string, currency: string } | null, clv12m: { amount: string, currency: string } | null } | null } | null, lifecycle: { id: string, lifecycleHistory: { available: boolean, unavailableReason: string | null, transitions: Array<{ at: string, from: LifecycleStage | null, to: LifecycleStage }> } } | null, consents: { id: string, consents: { current: Array<{ id: string, purpose: ConsentPurpose, channel: ConsentChannel, status: ConsentStatus, lawfulBasis: LawfulBasis, source: string, recordedAt: string }>, history: { totalCount: number, nodes: Array<{ id: string, purpose: ConsentPurpose, channel: ConsentChannel, status: ConsentStatus, lawfulBasis: LawfulBasis, source: string, policyVersion: string, recordedAt: string }> } } } | null, recommendations: { id: string, recommendations: { available: boolean, unavailableReason: PersonalizationUnavailableReason | null, items: Array<{ score: number, source: RecommendationSource, explanation: string, product: { name: string, category: string } }> } } | null, offers: { id: string, nextBestOffers: Array<{ score: number, pAccept: number, reason: string, offer: { code: string, name: string } }> } | null, offerValues: { id: string, nextBestOffers: Array<{ offer: { code: string }, expectedValue: { amount: string, currency: string } }> } | null, feedback: { id: string, feedback: { totalCount: number, nodes: Array<{ id: string, kind: FeedbackKind, score: number | null, topic: string | null, text: string | null, status: FeedbackStatus, submittedAt: string, resolvedAt: string | null }> } } | null };

export type ConsoleMeQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleMeQuery = { me: { id: string } | null };

export type ConsoleLookupQueryVariables = Exact<{
  kind: IdentityKind;
  value: string;
}>;


export type ConsoleLookupQuery = { customerByIdentifier: { id: string } | null };

export type ConsoleCustomerListQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type ConsoleCustomerListQuery = { customers: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, status: CustomerStatus, firstName: string | null, lastName: string | null, lastSeenAt: string }> } };

export type ConsoleTimelineQueryVariables = Exact<{
  id: string | number;
  first: number;
  after?: string | null | undefined;
}>;


export type ConsoleTimelineQuery = { node:
    | { timeline: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<
          | { __typename: 'ConsentRecord', id: string, recordedAt: string, purpose: ConsentPurpose, consentChannel: ConsentChannel, consentStatus: ConsentStatus }
          | { __typename: 'Feedback', id: string, submittedAt: string, kind: FeedbackKind, score: number | null, topic: string | null, feedbackStatus: FeedbackStatus }
          | { __typename: 'Interaction', id: string, occurredAt: string, type: InteractionType, campaign: string | null, interactionChannel: InteractionChannel, product: { name: string } | null }
          | { __typename: 'Order', id: string, placedAt: string, orderChannel: OrderChannel, orderStatus: OrderStatus, total: { amount: string, currency: string } }
        > } }
    | Record<PropertyKey, never>
   | null };

export type ConsoleSegmentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ConsoleSegmentsQuery = { segments: Array<{ id: string, name: string, description: string | null, memberCount: number, evaluatedAt: string | null }> };

export type ConsoleSegmentHistoryQueryVariables = Exact<{
  history: number;
}>;


export type ConsoleSegmentHistoryQuery = { analyticsHistory: { nodes: Array<{ asOf: string, segments: Array<{ segmentId: string, name: string, customers: number }> }> } };

export type ConsoleCampaignsQueryVariables = Exact<{
  since: string;
}>;


export type ConsoleCampaignsQuery = { campaignMetrics: Array<{ campaign: string, sends: number, opens: number, clicks: number, conversions: number, openRate: number | null, clickRate: number | null, conversionRate: number | null, results: { verdict: string, exposed: { customers: number, conversionRate: number | null, revenuePerCustomer: number | null }, control: { customers: number, conversionRate: number | null, revenuePerCustomer: number | null }, uplift: { estimate: number, low: number, high: number } | null } | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const ConsoleCustomerDocument = new TypedDocumentString(`
    query ConsoleCustomer($id: ID!) {
  profile: customer(id: $id) {
    id
    status
    firstName
    lastName
    email
    phone
    birthDate
    locale
    firstSeenAt
    lastSeenAt
  }
  identities: customer(id: $id) {
    id
    identities {
      kind
      namespace
      value
      source
      createdAt
    }
  }
  value: customer(id: $id) {
    id
    value {
      lifecycleStage
      valueTier
      rfmSegment
      ordersCount
      frequency
      recencyDays
      historicValue {
        amount
        currency
      }
      clv12m {
        amount
        currency
      }
      pAlive
      churnRisk
      engagementDecline
      negativeFeedback90d
      modelScoresAvailable
      modelScoresUnavailableReason
      computedAt
    }
  }
  lifecycle: customer(id: $id) {
    id
    lifecycleHistory {
      available
      unavailableReason
      transitions {
        at
        from
        to
      }
    }
  }
  consents: customer(id: $id) {
    id
    consents {
      current {
        id
        purpose
        channel
        status
        lawfulBasis
        source
        recordedAt
      }
      history(first: 50) {
        totalCount
        nodes {
          id
          purpose
          channel
          status
          lawfulBasis
          source
          policyVersion
          recordedAt
        }
      }
    }
  }
  recommendations: customer(id: $id) {
    id
    recommendations(first: 5) {
      available
      unavailableReason
      items {
        score
        source
        explanation
        product {
          name
          category
        }
      }
    }
  }
  offers: customer(id: $id) {
    id
    nextBestOffers(channel: WEB, first: 3) {
      score
      pAccept
      reason
      offer {
        code
        name
      }
    }
  }
  offerValues: customer(id: $id) {
    id
    nextBestOffers(channel: WEB, first: 3) {
      offer {
        code
      }
      expectedValue {
        amount
        currency
      }
    }
  }
  feedback: customer(id: $id) {
    id
    feedback(first: 20) {
      totalCount
      nodes {
        id
        kind
        score
        topic
        text
        status
        submittedAt
        resolvedAt
      }
    }
  }
}
    `, {"hash":"sha256:5dd991243186591d0857438b0a79a5d9cf0fbb0844c191dc864129d7936fc030"}) as unknown as TypedDocumentString<ConsoleCustomerQuery, ConsoleCustomerQueryVariables>;
export const ConsoleMeDocument = new TypedDocumentString(`
    query ConsoleMe {
  me {
    id
  }
}
    `, {"hash":"sha256:cba5a94a41534984384bc09c5c6286ea7cccdde10e54406d1b82454b2380c571"}) as unknown as TypedDocumentString<ConsoleMeQuery, ConsoleMeQueryVariables>;
export const ConsoleLookupDocument = new TypedDocumentString(`
    query ConsoleLookup($kind: IdentityKind!, $value: String!) {
  customerByIdentifier(kind: $kind, value: $value) {
    id
  }
}
    `, {"hash":"sha256:15cdf08778363cba528cd50b0589944b7b1578d3e2532b63789a7c9a4f38f8ce"}) as unknown as TypedDocumentString<ConsoleLookupQuery, ConsoleLookupQueryVariables>;
export const ConsoleCustomerListDocument = new TypedDocumentString(`
    query ConsoleCustomerList($first: Int!, $after: String) {
  customers(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      status
      firstName
      lastName
      lastSeenAt
    }
  }
}
    `, {"hash":"sha256:fd01e3791cb558485cd36fb7c3aaa83f85bf681071ad3b42e49e1a91e9b8a16b"}) as unknown as TypedDocumentString<ConsoleCustomerListQuery, ConsoleCustomerListQueryVariables>;
export const ConsoleTimelineDocument = new TypedDocumentString(`
    query ConsoleTimeline($id: ID!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on Customer {
      timeline(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          __typename
          ... on Interaction {
            id
            occurredAt
            interactionChannel: channel
            type
            campaign
            product {
              name
            }
          }
          ... on Order {
            id
            placedAt
            orderChannel: channel
            orderStatus: status
            total {
              amount
              currency
            }
          }
          ... on Feedback {
            id
            submittedAt
            kind
            score
            feedbackStatus: status
            topic
          }
          ... on ConsentRecord {
            id
            recordedAt
            purpose
            consentChannel: channel
            consentStatus: status
          }
        }
      }
    }
  }
}
    `, {"hash":"sha256:d30008152b64d3d5903f3113cb8651b0c1f0771703aaaff9352a94caa9b4b783"}) as unknown as TypedDocumentString<ConsoleTimelineQuery, ConsoleTimelineQueryVariables>;
export const ConsoleSegmentsDocument = new TypedDocumentString(`
    query ConsoleSegments {
  segments {
    id
    name
    description
    memberCount
    evaluatedAt
  }
}
    `, {"hash":"sha256:4d37804ef3f7009fbeb6cdbbb28ffad343520fa44add6f3ae988605486ae441d"}) as unknown as TypedDocumentString<ConsoleSegmentsQuery, ConsoleSegmentsQueryVariables>;
export const ConsoleSegmentHistoryDocument = new TypedDocumentString(`
    query ConsoleSegmentHistory($history: Int!) {
  analyticsHistory(first: $history) {
    nodes {
      asOf
      segments {
        segmentId
        name
        customers
      }
    }
  }
}
    `, {"hash":"sha256:c534db414c6a11d3f40f85ff50f2eeef39e2cd58c902c53352bc223e454f355d"}) as unknown as TypedDocumentString<ConsoleSegmentHistoryQuery, ConsoleSegmentHistoryQueryVariables>;
export const ConsoleCampaignsDocument = new TypedDocumentString(`
    query ConsoleCampaigns($since: DateTime!) {
  campaignMetrics(since: $since) {
    campaign
    sends
    opens
    clicks
    conversions
    openRate
    clickRate
    conversionRate
    results {
      verdict
      exposed {
        customers
        conversionRate
        revenuePerCustomer
      }
      control {
        customers
        conversionRate
        revenuePerCustomer
      }
      uplift {
        estimate
        low
        high
      }
    }
  }
}
    `, {"hash":"sha256:a6b6ee0f14f3893c02a8e1d11315065322e07b33a6e1fd9f74e9af19edbcb3f6"}) as unknown as TypedDocumentString<ConsoleCampaignsQuery, ConsoleCampaignsQueryVariables>;