import { InteractionType } from '../entities/enums';
import { TriggerAction } from '../entities/trigger.entity';
import { ContactFrequency } from '../entities/preference-enums';

/** Interactions that put something in a cart: the start of a possible abandonment (CART_ABANDONED). */
export const CART_TYPES: readonly string[] = [InteractionType.CART_ADD];

/** Actions that reach out to the customer (directly, through a receiving system, or as an offer): they count against the stated contact frequency and the global cap. A support task is service, not marketing: neither applies. */
export const CONTACTING_ACTIONS: readonly string[] = [TriggerAction.WEBHOOK, TriggerAction.OFFER];

/** Outbound contacts recorded as interactions: they count against the stated contact frequency too. */
export const CONTACT_INTERACTION_TYPES: readonly string[] = [InteractionType.EMAIL_SEND, InteractionType.SMS_SEND, InteractionType.PUSH_SEND];

/** A stated contact frequency as the least time between two contacts. */
export const CONTACT_INTERVAL: Record<ContactFrequency, string> = {
  [ContactFrequency.DAILY]: '1 day',
  [ContactFrequency.WEEKLY]: '7 days',
  [ContactFrequency.FORTNIGHTLY]: '14 days',
  [ContactFrequency.MONTHLY]: '1 month',
  [ContactFrequency.QUARTERLY]: '3 months',
};

/** SQL: the interval for a contact_frequency preference value (null when unknown). */
export const CONTACT_FREQUENCY_SQL = (valueSql: string): string =>
  `case ${valueSql} ${Object.entries(CONTACT_INTERVAL).map(([k, v]) => `when '${k}' then interval '${v}'`).join(' ')} end`;

/** The consent channel a marketing purpose is checked on (its own channel's withdrawal counts; the rest: ANY). */
export const PURPOSE_CHANNEL: Record<string, string> = {
  email_marketing: 'email', sms_marketing: 'sms', push_marketing: 'push', phone_marketing: 'phone',
};
export const PURPOSE_CHANNEL_SQL = (purposeSql: string): string =>
  `case ${purposeSql} ${Object.entries(PURPOSE_CHANNEL).map(([k, v]) => `when '${k}' then '${v}'`).join(' ')} else 'any' end`;
