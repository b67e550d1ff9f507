import { registerEnumType } from 'type-graphql';
import { ConsentChannel, ConsentPurpose } from './enums';

// Marketing-owned enums (offers and campaigns). String values are what PostgreSQL stores.

/** Channels an offer can go out on: the outbound and owned channels, spelled as InteractionChannel spells them. */
export enum OfferChannel {
  WEB = 'web',
  APP = 'app',
  EMAIL = 'email',
  SMS = 'sms',
  PUSH = 'push',
  PHONE = 'phone',
}

export enum CampaignStatus {
  DRAFT = 'draft',
  ACTIVE = 'active',
  PAUSED = 'paused',
  ENDED = 'ended',
}

export enum OfferStatus {
  DRAFT = 'draft',
  ACTIVE = 'active',
  PAUSED = 'paused',
  ENDED = 'ended',
}

/** What the offer is for: decides which of the customer's metrics moves its acceptance probability. */
export enum OfferGoal {
  GENERAL = 'general',
  CROSS_SELL = 'cross_sell',
  WIN_BACK = 'win_back',
  LOYALTY = 'loyalty',
}

export enum OfferResponse {
  SHOWN = 'shown',
  ACCEPTED = 'accepted',
  REJECTED = 'rejected',
}

/**
 * The consent an offer needs on each channel, checked with rapport_consent_status (the newest record
 * for that consent channel or for ANY). Owned digital channels need PERSONALIZATION: a targeted offer
 * on the web shop is personalisation. The app has no consent channel of its own, so only an ANY-channel
 * grant counts there (stricter, never looser).
 */
export const CHANNEL_CONSENT: Record<OfferChannel, { purpose: ConsentPurpose; channel: ConsentChannel }> = {
  [OfferChannel.EMAIL]: { purpose: ConsentPurpose.EMAIL_MARKETING, channel: ConsentChannel.EMAIL },
  [OfferChannel.SMS]: { purpose: ConsentPurpose.SMS_MARKETING, channel: ConsentChannel.SMS },
  [OfferChannel.PUSH]: { purpose: ConsentPurpose.PUSH_MARKETING, channel: ConsentChannel.PUSH },
  [OfferChannel.PHONE]: { purpose: ConsentPurpose.PHONE_MARKETING, channel: ConsentChannel.PHONE },
  [OfferChannel.WEB]: { purpose: ConsentPurpose.PERSONALIZATION, channel: ConsentChannel.WEB },
  [OfferChannel.APP]: { purpose: ConsentPurpose.PERSONALIZATION, channel: ConsentChannel.ANY },
};

registerEnumType(OfferChannel, { name: 'OfferChannel', description: 'Where an offer may be presented; each needs its consent (README "Offers").' });
registerEnumType(CampaignStatus, { name: 'CampaignStatus' });
registerEnumType(OfferStatus, { name: 'OfferStatus' });
registerEnumType(OfferGoal, { name: 'OfferGoal', description: 'WIN_BACK scores higher with churn risk, LOYALTY with value tier, CROSS_SELL with P(alive).' });
registerEnumType(OfferResponse, { name: 'OfferResponse' });
