import { Entity, Index, ManyToOne, PrimaryKey, Property, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar } from '../schema/scalars';
import { Customer } from './customer.entity';

/** Row keys that a merge moved, per table (see merge.service.ts for the key format). */
export type MovedRows = Record<string, string[]>;

/**
 * The merge ledger: one row per merge, holding exactly what moved and both profiles as they were,
 * so that an unmerge restores them. The snapshots are personal data: they never reach the graph.
 */
@ObjectType('CustomerMerge')
@Entity({ tableName: 'customer_merges' })
export class CustomerMerge {
  [OptionalProps]?: 'globalId' | 'customer' | 'automatic' | 'createdAt' | 'undoneAt' | 'undoneBy';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('CustomerMerge', this.id);
  }

  @ManyToOne(() => Customer, { fieldName: 'survivor_id' })
  @Index({ name: 'customer_merges_survivor_id_idx' })
  survivor!: Customer;

  @ManyToOne(() => Customer, { fieldName: 'loser_id' })
  @Index({ name: 'customer_merges_loser_id_idx' })
  loser!: Customer;

  /** The permission layer's object-level check reads `customer`: a merge belongs to its survivor. */
  get customer(): Customer {
    return this.survivor;
  }

  @Field(() => String)
  @Property({ type: 'text' })
  reason!: string;

  @Field(() => String, { description: 'Who merged: a staff subject, or "auto:<source>" for a merge made by matching.' })
  @Property({ type: 'text' })
  actor!: string;

  @Field(() => Boolean, { description: 'True when matching merged the profiles on a write, false for a manual merge.' })
  @Property({ type: 'boolean', default: false })
  automatic: boolean = false;

  @Property({ type: 'json' })
  moved!: MovedRows;

  @Property({ type: 'json' })
  survivorBefore!: Record<string, unknown>;

  @Property({ type: 'json' })
  loserBefore!: Record<string, unknown>;

  @Property({ type: 'json' })
  survivorAfter!: Record<string, unknown>;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  undoneAt?: Date | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  undoneBy?: string | null;
}
