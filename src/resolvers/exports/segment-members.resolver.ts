import { Arg, Ctx, Field, FieldResolver, Int, ObjectType, Resolver, Root } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConsentRecord, Customer, Segment } from '../../entities';
import { ConsentChannel, ConsentPurpose } from '../../entities/enums';
import type { Context } from '../../context';
import { ConnectionType, toConnection, type Page } from '../../schema/connection';
import { DateTimeScalar } from '../../schema/scalars';
import { checkFirst, decodeCursor, encodeCursor, type Cursor } from '../../services/pagination';
import { channelFor, membersFromWhere, paramsBind, type MembersSelection } from '../../exports/segment-members';
import type { Keyring } from '../../auth/pseudonyms';
import { executeBound } from '../../db/bound-query';

/** A member a marketing use may reach, with the consent record in force that allows it. */
@ObjectType('SegmentMember', { description: 'A current member of a segment whose consent in force allows the purpose asked for on the channel: the customer, when they entered, and the consent record that allows it (the proof of consent).' })
export class SegmentMember {
  /** The customer (database id), for the field rules' object-level check and the loader. */
  customer!: { id: string };
  consentRecordId!: string;

  @Field(() => DateTimeScalar, { description: 'When the customer entered the segment (UTC).' })
  enteredAt!: Date;
}

export const SegmentMemberConnection = ConnectionType(SegmentMember, 'SegmentMember');

/** One keyset page of eligible members (by customer id) in one statement; the count only when selected. */
async function membersPage(em: EntityManager, sel: MembersSelection, keyring: Keyring, first: number, after: Cursor | null): Promise<Page<SegmentMember>> {
  const { bind, params: fixed } = paramsBind();
  const fromWhere = membersFromWhere(sel, keyring, bind);
  // Bound by the driver (executeBound), not written into the text: the values include the keys' HMAC pads.
  const rows = first === 0 ? [] : await executeBound<{ customer_id: string; entered_at: Date; consent_id: string }>(em,
    `select sm.customer_id, sm.entered_at, r.id as consent_id ${fromWhere} ${after ? 'and sm.customer_id > ?::uuid' : ''}
     order by sm.customer_id limit ?`,
    [...fixed, ...(after ? [after.id] : []), first + 1],
  );
  const visible = rows.slice(0, first);
  let count: Promise<number> | undefined;
  return {
    nodes: visible.map((r) => Object.assign(new SegmentMember(), { customer: { id: r.customer_id }, consentRecordId: r.consent_id, enteredAt: new Date(r.entered_at) })),
    cursors: visible.map((r) => encodeCursor({ v: null, id: r.customer_id })),
    hasNextPage: rows.length > first,
    totalCount: () => (count ??= executeBound<{ n: string }>(em, `select count(*) as n ${fromWhere}`, fixed).then((r) => Number(r[0].n))),
  };
}

@Resolver(() => Segment)
export class SegmentMembersResolver {
  @FieldResolver(() => SegmentMemberConnection, {
    description: 'The current members whose consent in force allows `consentPurpose` on `channel`, by customer id: the GraphQL form of `npx rapport export` (README "Exports"). Active customers only (never erased, merged-away or suppressed ones), reachable on the channel. Admin and marketing; each customer\'s fields keep their own rules (marketing reads the e-mail under e-mail marketing consent), and personal-data reads are audited.',
  })
  async members(
    @Root() segment: Segment,
    @Arg('consentPurpose', () => ConsentPurpose, { description: 'The marketing use: only members whose consent in force grants it.' }) consentPurpose: ConsentPurpose,
    @Arg('channel', () => ConsentChannel, { nullable: true, description: 'The channel it is exercised on. Default: the purpose\'s own (EMAIL_MARKETING: EMAIL, SMS_MARKETING: SMS, PUSH_MARKETING: PUSH, PHONE_MARKETING: PHONE), else ANY.' }) channel: ConsentChannel | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ) {
    const sel = { segmentId: segment.id, purpose: consentPurpose, channel: channelFor(consentPurpose, channel) };
    return toConnection(await membersPage(ctx.em, sel, ctx.config.pseudonymKeys, checkFirst(first, ctx.config.maxPageSize), decodeCursor(after)));
  }
}

@Resolver(() => SegmentMember)
export class SegmentMemberResolver {
  @FieldResolver(() => Customer, { description: 'The customer (each field under its own rule).' })
  async customer(@Root() m: SegmentMember, @Ctx() ctx: Context): Promise<Customer> {
    return (await ctx.loaders.customerById.load(m.customer.id))!;
  }

  @FieldResolver(() => ConsentRecord, { description: 'The consent record in force that allows the purpose on the channel.' })
  async consent(@Root() m: SegmentMember, @Ctx() ctx: Context): Promise<ConsentRecord> {
    return (await ctx.loaders.consentRecordById.load(m.consentRecordId))!;
  }
}
