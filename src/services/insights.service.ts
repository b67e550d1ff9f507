import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput } from '../errors/domain-error';
import { cleanText } from './validation';

/**
 * Feedback-loop and campaign aggregates. Read-only, set-based: each report is one SQL statement
 * (plus one to check a named segment), however many periods, groups or campaigns it returns.
 * Rows are aggregates only: no customer id, name or text ever leaves here.
 */

export enum InsightPeriod {
  WEEK = 'week',
  MONTH = 'month',
}

export enum FeedbackGroupBy {
  NONE = 'none',
  SEGMENT = 'segment',
  PRODUCT = 'product',
  CATEGORY = 'category',
}

/** The longest look-back a report may ask for. */
export const MAX_RANGE_YEARS = 3;
/** A kept order placed within this many days after a click converts the click. */
export const CONVERSION_WINDOW_DAYS = 7;

export interface FeedbackSummaryRow {
  periodStart: Date;
  /** Segment uuid, product SKU or category; null for NONE (and for feedback tied to no product). */
  groupKey: string | null;
  groupLabel: string | null;
  responses: number;
  npsResponses: number;
  promoters: number;
  passives: number;
  detractors: number;
  nps: number | null;
  csatResponses: number;
  csatAverage: number | null;
  csatSatisfiedPercent: number | null;
  complaints: number;
  complaintsResolved: number;
  resolutionHoursMedian: number | null;
  resolutionHoursP90: number | null;
}

export interface CampaignMetricsRow {
  campaign: string;
  /** Segment uuid and name when broken down by segment. */
  segmentId: string | null;
  segmentName: string | null;
  sends: number;
  opens: number;
  clicks: number;
  customersReached: number;
  customersClicked: number;
  conversions: number;
  openRate: number | null;
  clickRate: number | null;
  clickToOpenRate: number | null;
  conversionRate: number | null;
}

/** `since` must be in the past and at most MAX_RANGE_YEARS back. */
export function checkSince(since: Date, now = new Date()): void {
  if (!(since instanceof Date) || Number.isNaN(since.getTime())) throw badInput('since is not a valid time', 'since');
  if (since.getTime() > now.getTime()) throw badInput('since must not be in the future', 'since');
  const earliest = new Date(now);
  earliest.setUTCFullYear(earliest.getUTCFullYear() - MAX_RANGE_YEARS);
  if (since.getTime() < earliest.getTime()) throw badInput(`since must be at most ${MAX_RANGE_YEARS} years ago`, 'since');
}

/** The segment must exist (a uuid already decoded from its global id). */
export async function checkSegment(em: EntityManager, segmentId: string): Promise<void> {
  const rows: unknown[] = await em.execute('select 1 from segments where id = ?', [segmentId]);
  if (!rows.length) throw badInput('segmentId names no segment', 'segmentId');
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
const num = (v: unknown): number | null => (v == null ? null : Number(v));

/** Current members of a segment (open stays only). */
const IN_SEGMENT = 'exists (select 1 from segment_memberships sx where sx.segment_id = ? and sx.customer_id = %s and sx.left_at is null)';

export interface FeedbackSummaryArgs {
  period: InsightPeriod;
  since: Date;
  groupBy: FeedbackGroupBy;
  segmentId?: string | null;
}

export async function feedbackSummary(em: EntityManager, args: FeedbackSummaryArgs): Promise<FeedbackSummaryRow[]> {
  checkSince(args.since);
  const unit = args.period === InsightPeriod.MONTH ? 'month' : 'week';
  if (args.segmentId) await checkSegment(em, args.segmentId);

  const params: unknown[] = [];
  let joins = '';
  let key = 'null::text';
  let label = 'null::text';
  const where = ['f.submitted_at >= ?', 'f.submitted_at <= now()'];
  params.push(args.since);
  switch (args.groupBy) {
    case FeedbackGroupBy.SEGMENT:
      // A customer in several segments counts in each: segment rows need not add up to the total.
      joins = 'join segment_memberships sm on sm.customer_id = f.customer_id and sm.left_at is null join segments s on s.id = sm.segment_id';
      key = 's.id::text';
      label = 's.name';
      if (args.segmentId) {
        where.push('sm.segment_id = ?');
        params.push(args.segmentId);
      }
      break;
    case FeedbackGroupBy.PRODUCT:
      joins = 'left join products p on p.id = f.product_id';
      key = 'p.sku';
      label = 'p.name';
      break;
    case FeedbackGroupBy.CATEGORY:
      joins = 'left join products p on p.id = f.product_id';
      key = 'p.category';
      label = 'p.category';
      break;
    default:
      break;
  }
  if (args.segmentId && args.groupBy !== FeedbackGroupBy.SEGMENT) {
    where.push(IN_SEGMENT.replace('%s', 'f.customer_id'));
    params.push(args.segmentId);
  }

  const rows: Array<Record<string, unknown>> = await em.execute(
    `with f as (
       select date_trunc('${unit}', f.submitted_at at time zone 'UTC') at time zone 'UTC' as period_start,
              ${key} as group_key, ${label} as group_label,
              f.kind::text as kind, f.score, f.status::text as status,
              case when f.kind = 'complaint' and f.status = 'resolved' and f.resolved_at is not null
                   then extract(epoch from (f.resolved_at - f.submitted_at)) / 3600.0 end as resolution_hours
       from feedback f ${joins}
       where ${where.join(' and ')})
     select period_start, group_key, group_label,
       count(*)::int as responses,
       count(*) filter (where kind = 'nps' and score between 0 and 10)::int as nps_responses,
       count(*) filter (where kind = 'nps' and score between 9 and 10)::int as promoters,
       count(*) filter (where kind = 'nps' and score between 7 and 8)::int as passives,
       count(*) filter (where kind = 'nps' and score between 0 and 6)::int as detractors,
       count(*) filter (where kind = 'csat' and score between 1 and 5)::int as csat_responses,
       avg(score) filter (where kind = 'csat' and score between 1 and 5)::float8 as csat_average,
       count(*) filter (where kind = 'csat' and score between 4 and 5)::int as csat_satisfied,
       count(*) filter (where kind = 'complaint')::int as complaints,
       count(*) filter (where kind = 'complaint' and status = 'resolved')::int as complaints_resolved,
       percentile_cont(0.5) within group (order by resolution_hours) as resolution_median,
       percentile_cont(0.9) within group (order by resolution_hours) as resolution_p90
     from f
     group by period_start, group_key, group_label
     order by period_start, group_label nulls last, group_key nulls last`,
    params,
  );

  return rows.map((r) => {
    const npsN = Number(r.nps_responses);
    const promoters = Number(r.promoters);
    const detractors = Number(r.detractors);
    const csatN = Number(r.csat_responses);
    return {
      periodStart: new Date(r.period_start as string | Date),
      groupKey: (r.group_key as string | null) ?? null,
      groupLabel: (r.group_label as string | null) ?? null,
      responses: Number(r.responses),
      npsResponses: npsN,
      promoters,
      passives: Number(r.passives),
      detractors,
      nps: npsN > 0 ? (100 * (promoters - detractors)) / npsN : null,
      csatResponses: csatN,
      csatAverage: num(r.csat_average),
      csatSatisfiedPercent: csatN > 0 ? (100 * Number(r.csat_satisfied)) / csatN : null,
      complaints: Number(r.complaints),
      complaintsResolved: Number(r.complaints_resolved),
      // percentile_cont ignores nulls (complaints not resolved, other kinds): null when none resolved.
      resolutionHoursMedian: num(r.resolution_median),
      resolutionHoursP90: num(r.resolution_p90),
    };
  });
}

export interface CampaignMetricsArgs {
  since: Date;
  campaign?: string | null;
  segmentId?: string | null;
  bySegment?: boolean | null;
}

export async function campaignMetrics(em: EntityManager, args: CampaignMetricsArgs): Promise<CampaignMetricsRow[]> {
  checkSince(args.since);
  const campaign = cleanText(args.campaign, 'campaign', 200);
  if (args.segmentId) await checkSegment(em, args.segmentId);

  const params: unknown[] = [];
  let joins = '';
  let segCols = 'null::uuid as segment_id, null::text as segment_name';
  if (args.bySegment) {
    joins = `join segment_memberships sm on sm.customer_id = i.customer_id and sm.left_at is null${args.segmentId ? ' and sm.segment_id = ?' : ''}
             join segments s on s.id = sm.segment_id`;
    if (args.segmentId) params.push(args.segmentId);
    segCols = 's.id as segment_id, s.name as segment_name';
  }
  // A HELD_OUT is the record of NOT reaching a control customer: no send, open or reach.
  const where = ['i.campaign is not null', "i.type <> 'held_out'", 'i.occurred_at >= ?', 'i.occurred_at <= now()'];
  params.push(args.since);
  if (campaign) {
    where.push('i.campaign = ?');
    params.push(campaign);
  }
  if (args.segmentId && !args.bySegment) {
    where.push(IN_SEGMENT.replace('%s', 'i.customer_id'));
    params.push(args.segmentId);
  }

  const rows: Array<Record<string, unknown>> = await em.execute(
    `with ev as (
       select i.campaign, ${segCols}, i.customer_id, i.type::text as type,
              -- a click converts when the customer placed a kept order within the window after it
              i.type = 'email_click' and exists (
                select 1 from orders o
                where o.customer_id = i.customer_id and o.status not in ('cancelled', 'returned')
                  and o.placed_at > i.occurred_at and o.placed_at <= i.occurred_at + interval '${CONVERSION_WINDOW_DAYS} days') as converted
       from interactions i ${joins}
       where ${where.join(' and ')})
     select campaign, segment_id, segment_name,
       count(*) filter (where type in ('email_send', 'sms_send', 'push_send'))::int as sends,
       count(*) filter (where type = 'email_open')::int as opens,
       count(*) filter (where type = 'email_click')::int as clicks,
       count(distinct customer_id)::int as reached,
       count(distinct customer_id) filter (where type = 'email_click')::int as clicked,
       count(distinct customer_id) filter (where converted)::int as converted
     from ev
     group by campaign, segment_id, segment_name
     order by campaign, segment_name nulls first`,
    params,
  );

  return rows.map((r) => {
    const sends = Number(r.sends);
    const opens = Number(r.opens);
    const clicks = Number(r.clicks);
    const clicked = Number(r.clicked);
    const conversions = Number(r.converted);
    return {
      campaign: r.campaign as string,
      segmentId: (r.segment_id as string | null) ?? null,
      segmentName: (r.segment_name as string | null) ?? null,
      sends,
      opens,
      clicks,
      customersReached: Number(r.reached),
      customersClicked: clicked,
      conversions,
      openRate: ratio(opens, sends),
      clickRate: ratio(clicks, sends),
      clickToOpenRate: ratio(clicks, opens),
      conversionRate: ratio(conversions, clicked),
    };
  });
}
