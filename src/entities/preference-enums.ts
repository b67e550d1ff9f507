import { registerEnumType } from 'type-graphql';

// Preference enums. String values are what PostgreSQL stores.

/** What a stated preference is about. */
export enum PreferenceKind {
  CATEGORY = 'category',
  BRAND = 'brand',
  AUTHOR = 'author',
  CHANNEL = 'channel',
  CONTACT_FREQUENCY = 'contact_frequency',
}

/** How the customer likes to be contacted; spelled as ConsentChannel spells them, so each can be checked against consent. */
export enum PreferredChannel {
  EMAIL = 'email',
  SMS = 'sms',
  PUSH = 'push',
  PHONE = 'phone',
  POST = 'post',
}

export enum ContactFrequency {
  DAILY = 'daily',
  WEEKLY = 'weekly',
  FORTNIGHTLY = 'fortnightly',
  MONTHLY = 'monthly',
  QUARTERLY = 'quarterly',
}

/** Which signals an inferred preference rests on. */
export enum PreferenceBasis {
  PURCHASES = 'purchases',
  VIEWS = 'views',
  PURCHASES_AND_VIEWS = 'purchases_and_views',
}

/** Why inferred preferences or recommendations are empty for a customer the viewer may see. */
export enum PersonalizationUnavailableReason {
  NO_PERSONALIZATION_CONSENT = 'no_personalization_consent',
  CUSTOMER_NOT_ACTIVE = 'customer_not_active',
}

/** Where a recommendation comes from. */
export enum RecommendationSource {
  /** Item-to-item collaborative filtering over co-purchases. */
  CO_PURCHASE = 'co_purchase',
  /** Fallback without usable purchases: popular products in the customer's inferred top categories. */
  POPULAR_IN_CATEGORY = 'popular_in_category',
}

registerEnumType(PreferenceKind, { name: 'PreferenceKind' });
registerEnumType(PreferredChannel, { name: 'PreferredChannel', description: 'A channel the customer likes to be contacted on (consent still decides whether they may be).' });
registerEnumType(ContactFrequency, { name: 'ContactFrequency' });
registerEnumType(PreferenceBasis, { name: 'PreferenceBasis' });
registerEnumType(PersonalizationUnavailableReason, {
  name: 'PersonalizationUnavailableReason',
  valuesConfig: {
    NO_PERSONALIZATION_CONSENT: { description: 'The consent in force for PERSONALIZATION (ANY channel) is not GRANTED.' },
    CUSTOMER_NOT_ACTIVE: { description: 'The profile was merged or erased.' },
  },
});
registerEnumType(RecommendationSource, { name: 'RecommendationSource' });
