import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique, OptionalProps } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { Node } from '../schema/node';
import { toGlobalId } from '../schema/global-id';
import { DateTimeScalar, JSONObjectScalar } from '../schema/scalars';
import { Customer } from './customer.entity';
import { ruleForGraph } from '../analytics/rule-names';

/** A saved segment: a rule (jsonb, see analytics/segment-rule.ts) evaluated in SQL by the analytics job. */
@ObjectType('Segment', { implements: Node })
@Entity({ tableName: 'segments' })
export class Segment {
  [OptionalProps]?: 'globalId' | 'ruleInput' | 'createdAt' | 'updatedAt' | 'memberCount' | 'evaluatedAt' | 'description' | 'dependsOn';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @Field(() => ID, { name: 'id' })
  get globalId(): string {
    return toGlobalId('Segment', this.id);
  }

  @Field(() => String)
  @Property({ type: 'text' })
  @Unique({ name: 'segments_name_key' })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description?: string | null;

  @Property({ type: 'json' })
  rule!: Record<string, unknown>;

  @Field(() => JSONObjectScalar, { name: 'rule', description: 'The rule as a SegmentRuleInput tree (enum names), accepted back by updateSegment as it is.' })
  get ruleInput(): Record<string, unknown> {
    return ruleForGraph(this.rule) as Record<string, unknown>;
  }

  /**
   * The rule compiled for real-time evaluation (segment-rule.ts compileStoredPredicate): SQL over
   * `customers a` / `customer_metrics m` reading its values from $1 (predicate_params) and the instant
   * from $2. Written only by segments.service from the validated rule; run by rapport_segments_refresh.
   */
  @Property({ type: 'text', nullable: true, lazy: true })
  predicateSql?: string | null;

  @Property({ type: 'json', nullable: true, lazy: true })
  predicateParams?: unknown[] | null;

  /** What the rule reads (SegmentDependency): a write re-evaluates the segments that depend on what it changed. */
  @Property({ type: 'text[]', default: '{}' })
  dependsOn: string[] = [];

  /** Members at the last full evaluation (analytics run, rule change); the graph's memberCount counts current members. */
  @Property({ type: 'integer', default: 0 })
  memberCount: number = 0;

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  evaluatedAt?: Date | null;

  @Property({ type: 'text' })
  createdBy!: string;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/** Membership history: a row per stay in a segment; `leftAt` null while the customer is a member. */
@ObjectType('SegmentMembership')
@Entity({ tableName: 'segment_memberships' })
@Index({ name: 'segment_memberships_segment_entered_idx', properties: ['segment', 'enteredAt'] })
@Index({ name: 'segment_memberships_customer_idx', properties: ['customer'] })
// At most one open stay per customer and segment.
@Index({
  name: 'segment_memberships_open_key',
  expression: 'create unique index "segment_memberships_open_key" on "segment_memberships" ("segment_id", "customer_id") where "left_at" is null',
})
export class SegmentMembership {
  [OptionalProps]?: 'enteredAt' | 'leftAt';

  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  id!: string;

  @ManyToOne(() => Segment, { fieldName: 'segment_id', deleteRule: 'cascade' })
  segment!: Segment;

  @ManyToOne(() => Customer, { fieldName: 'customer_id' })
  customer!: Customer;

  @Field(() => DateTimeScalar)
  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  enteredAt: Date = new Date();

  @Field(() => DateTimeScalar, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  leftAt?: Date | null;
}
