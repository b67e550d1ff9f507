import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { InteractionChannel, InteractionType } from '../../entities/enums';
import { DateTimeScalar, JSONObjectScalar, LocalDateScalar } from '../../schema/scalars';
import { IdentifierInput, PostalAddressInput } from '../customer/customer.inputs';
import { OrderFieldsInput } from '../order/order.inputs';
import { IngestEventKind, IngestEventStatus, MAX_EVENT_IDENTIFIERS, MAX_INGEST_EVENTS } from '../../ingestion/core';

registerEnumType(IngestEventKind, {
  name: 'IngestEventKind',
  valuesConfig: {
    IDENTIFY: { description: 'Create or update a profile (fields in `profile`), found by customerId or identifiers.' },
    INTERACTION: { description: 'An interaction (`interaction`) of the customer named by customerId or identifiers.' },
    ORDER: { description: 'An order (`order`) of the customer named by customerId or identifiers.' },
  },
});
registerEnumType(IngestEventStatus, {
  name: 'IngestEventStatus',
  valuesConfig: {
    ACCEPTED: { description: 'Stored by this call.' },
    DUPLICATE: { description: 'Stored before under this idempotency key (or order number / sourceEventId): nothing new; the first result is returned.' },
    REJECTED: { description: 'Not stored; `error` says why. Fix and resend under the same key.' },
  },
});

@InputType('IngestProfileInput', { description: 'Profile fields of an IDENTIFY event; omitted fields are left as they are, null clears.' })
export class IngestProfileInput {
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true }) phone?: string | null;
  @Field(() => LocalDateScalar, { nullable: true }) birthDate?: string | null;
  @Field(() => String, { nullable: true }) locale?: string | null;
  @Field(() => PostalAddressInput, { nullable: true }) address?: PostalAddressInput | null;
  @Field(() => JSONObjectScalar, { nullable: true }) traits?: Record<string, unknown> | null;
}

@InputType('IngestInteractionInput')
export class IngestInteractionInput {
  @Field(() => DateTimeScalar, { description: 'When it happened (required: a retry must carry the original time).' }) occurredAt!: Date;
  @Field(() => InteractionChannel) channel!: InteractionChannel;
  @Field(() => InteractionType) type!: InteractionType;
  @Field(() => ID, { nullable: true }) productId?: string | null;
  @Field(() => String, { nullable: true, description: 'The product by SKU instead of productId.' }) sku?: string | null;
  @Field(() => String, { nullable: true }) campaign?: string | null;
  @Field(() => JSONObjectScalar, { nullable: true, description: 'Event attributes; at most 16 KiB of JSON.' }) properties?: Record<string, unknown> | null;
}

@InputType('IngestOrderInput')
export class IngestOrderInput extends OrderFieldsInput {
  @Field(() => String, { nullable: true, description: 'Order number in the source system; default: the idempotency key.' }) externalId?: string | null;
  @Field(() => String, { nullable: true, description: 'A code used at checkout, as in recordOrder: an offer code, else a campaign code.' }) promoCode?: string | null;
}

@InputType('IngestEventInput', { description: 'One event. Exactly the payload of its kind: profile (IDENTIFY), interaction or order.' })
export class IngestEventInput {
  @Field(() => IngestEventKind) kind!: IngestEventKind;
  @Field(() => String, {
    nullable: true,
    description: 'Required: the sender\'s unique id for this event, per source (at most 128 characters). A resend under the same key is answered from the first result and stores nothing. (Nullable only so that a missing key rejects just that event.)',
  })
  idempotencyKey?: string | null;
  @Field(() => String, { nullable: true, description: 'Which system sends this (default "api"); keys are unique per source.' }) source?: string | null;
  @Field(() => ID, { nullable: true, description: 'The customer, by id (a merged profile\'s id reaches its survivor).' }) customerId?: string | null;
  @Field(() => [IdentifierInput], { nullable: true, description: `The customer, by identifiers (at most ${MAX_EVENT_IDENTIFIERS}): matched, and created or linked when new.` })
  identifiers?: IdentifierInput[] | null;
  @Field(() => IngestProfileInput, { nullable: true }) profile?: IngestProfileInput | null;
  @Field(() => IngestInteractionInput, { nullable: true }) interaction?: IngestInteractionInput | null;
  @Field(() => IngestOrderInput, { nullable: true }) order?: IngestOrderInput | null;
}

export const INGEST_EVENTS_DESCRIPTION =
  `Stores up to ${MAX_INGEST_EVENTS} events (identify, interaction, order) in one transaction, each under an idempotency key; ` +
  'answers per event, in request order: ACCEPTED, DUPLICATE (a replay: the first result) or REJECTED (with the reason). ' +
  'A rejected event stores nothing and never rolls back its neighbours. Send the events as a variable. README "Event ingestion".';
