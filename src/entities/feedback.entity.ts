import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Customer } from './customer.entity';
import { Product } from './product.entity';
import { FeedbackKind, FeedbackStatus, InteractionChannel } from './enums';

@ObjectType('Feedback', { implements: Node })
@Entity({ tableName: 'feedback' })
@Index({ name: 'feedback_customer_submitted_at_idx', properties: ['customer', 'submittedAt', 'id'] })
export class Feedback {
  [OptionalProps]?: 'globalId' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Feedback', this.id);
  }

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => FeedbackKind)
  @Enum({ items: () => FeedbackKind })
  kind!: FeedbackKind;

  @Field(() => Int, { nullable: true, description: 'NPS 0-10, CSAT 1-5, review 1-5, survey 0-100.' })
  @Property({ type: 'smallint', nullable: true })
  score?: number | null;

  /** Free text written by the customer: personal data. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  text?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  topic?: string | null;

  @Field(() => InteractionChannel, { nullable: true })
  @Enum({ items: () => InteractionChannel, nullable: true })
  channel?: InteractionChannel | null;

  @ManyToOne(() => Product, { fieldName: 'product_id', nullable: true })
  @Index({ name: 'feedback_product_id_idx' })
  product?: Product | null;

  @Field(() => FeedbackStatus)
  @Enum({ items: () => FeedbackStatus, default: FeedbackStatus.OPEN })
  status: FeedbackStatus = FeedbackStatus.OPEN;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz' })
  submittedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt?: Date | null;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
