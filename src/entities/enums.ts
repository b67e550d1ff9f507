// Domain enums. The TypeScript member names become the GraphQL enum values (UPPER_CASE);
// the string values are what PostgreSQL stores (check constraints are generated from them).

export enum CustomerStatus {
  ACTIVE = 'active',
  MERGED = 'merged',
  ERASED = 'erased',
}

export enum IdentityKind {
  EMAIL = 'email',
  PHONE = 'phone',
  EXTERNAL_ID = 'external_id',
  CRM_ID = 'crm_id',
  LOYALTY_CARD = 'loyalty_card',
  DEVICE = 'device',
}

export enum OrderChannel {
  WEB = 'web',
  APP = 'app',
  STORE = 'store',
  PHONE = 'phone',
  MARKETPLACE = 'marketplace',
  PARTNER = 'partner',
}

export enum OrderStatus {
  PLACED = 'placed',
  PAID = 'paid',
  SHIPPED = 'shipped',
  DELIVERED = 'delivered',
  CANCELLED = 'cancelled',
  RETURNED = 'returned',
}

export enum InteractionChannel {
  WEB = 'web',
  APP = 'app',
  EMAIL = 'email',
  SMS = 'sms',
  PUSH = 'push',
  SOCIAL = 'social',
  CHAT = 'chat',
  PHONE = 'phone',
  STORE = 'store',
  SUPPORT = 'support',
}

export enum InteractionType {
  PAGE_VIEW = 'page_view',
  PRODUCT_VIEW = 'product_view',
  SEARCH = 'search',
  CART_ADD = 'cart_add',
  CART_ABANDON = 'cart_abandon',
  EMAIL_SEND = 'email_send',
  EMAIL_OPEN = 'email_open',
  EMAIL_CLICK = 'email_click',
  SMS_SEND = 'sms_send',
  PUSH_SEND = 'push_send',
  OFFER_SHOWN = 'offer_shown',
  OFFER_ACCEPTED = 'offer_accepted',
  OFFER_REJECTED = 'offer_rejected',
  CHAT_MESSAGE = 'chat_message',
  CALL = 'call',
  STORE_VISIT = 'store_visit',
  TICKET = 'ticket',
  SOCIAL_MENTION = 'social_mention',
  /** An app screen (Segment screen calls). */
  SCREEN_VIEW = 'screen_view',
  /** A named event of the sender's own (Segment track calls with no type of their own); the name is properties.event. */
  CUSTOM_EVENT = 'custom_event',
  /** Once per campaign and control customer, at first eligibility: what they would have been shown was held back. */
  HELD_OUT = 'held_out',
}

export enum FeedbackKind {
  NPS = 'nps',
  CSAT = 'csat',
  SURVEY = 'survey',
  REVIEW = 'review',
  COMPLAINT = 'complaint',
  SUGGESTION = 'suggestion',
}

export enum FeedbackStatus {
  OPEN = 'open',
  ACKNOWLEDGED = 'acknowledged',
  RESOLVED = 'resolved',
}

export enum ConsentPurpose {
  EMAIL_MARKETING = 'email_marketing',
  SMS_MARKETING = 'sms_marketing',
  PUSH_MARKETING = 'push_marketing',
  PHONE_MARKETING = 'phone_marketing',
  PERSONALIZATION = 'personalization',
  PROFILING = 'profiling',
  THIRD_PARTY_SHARING = 'third_party_sharing',
  ANALYTICS = 'analytics',
}

export enum ConsentChannel {
  /** The decision applies to the purpose on every channel. */
  ANY = 'any',
  EMAIL = 'email',
  SMS = 'sms',
  PUSH = 'push',
  PHONE = 'phone',
  POST = 'post',
  WEB = 'web',
}

export enum ConsentStatus {
  GRANTED = 'granted',
  DENIED = 'denied',
  WITHDRAWN = 'withdrawn',
}

export enum LawfulBasis {
  CONSENT = 'consent',
  CONTRACT = 'contract',
  LEGITIMATE_INTEREST = 'legitimate_interest',
  LEGAL_OBLIGATION = 'legal_obligation',
}
