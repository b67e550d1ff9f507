import type { EntityManager } from '@mikro-orm/postgresql';
import { Segment } from '../entities';
import { DomainError, ErrorCode, conflict } from '../errors/domain-error';
import { cleanText, requireText } from '../services/validation';
import { canonicalRule, compileSegmentRule, compileStoredPredicate, type SegmentRule } from './segment-rule';
import { uuidArray } from '../services/pagination';
import type { WriteAudit } from '../services/customer.service';

export interface SegmentData {
  name: string;
  description?: string | null;
  rule: SegmentRule;
}

export interface SegmentEvaluation {
  segmentId: string;
  members: number;
  entered: number;
  left: number;
}

export async function createSegment(em: EntityManager, data: SegmentData, createdBy: string, audit?: WriteAudit): Promise<Segment> {
  const name = requireText(data.name, 'name', 100);
  const rule = canonicalRule(data.rule);
  compileSegmentRule(rule); // validates
  return em.transactional(async (tem) => {
    if (await tem.findOne(Segment, { name })) throw conflict(`a segment named "${name}" exists`, { field: 'name' });
    const segment = tem.create(Segment, { name, description: cleanText(data.description, 'description', 1000) ?? null, rule: rule as Record<string, unknown>, createdBy });
    await tem.flush();
    await evaluateSegment(tem, segment.id, new Date());
    await audit?.(tem, null);
    return tem.findOneOrFail(Segment, { id: segment.id }, { refresh: true });
  });
}

export async function updateSegment(em: EntityManager, id: string, data: Partial<SegmentData>, audit?: WriteAudit): Promise<Segment> {
  return em.transactional(async (tem) => {
    const segment = await tem.findOne(Segment, { id });
    if (!segment) throw new DomainError(ErrorCode.NOT_FOUND, 'segment not found', { field: 'id' });
    if (data.name !== undefined) {
      const name = requireText(data.name, 'name', 100);
      const other = await tem.findOne(Segment, { name, id: { $ne: id } });
      if (other) throw conflict(`a segment named "${name}" exists`, { field: 'name' });
      segment.name = name;
    }
    if (data.description !== undefined) segment.description = cleanText(data.description, 'description', 1000) ?? null;
    if (data.rule) {
      const rule = canonicalRule(data.rule);
      compileSegmentRule(rule);
      segment.rule = rule as Record<string, unknown>;
    }
    await tem.flush();
    // A changed rule re-evaluates at once: membership history records who entered or left because of it.
    if (data.rule) await evaluateSegment(tem, id, new Date());
    await audit?.(tem, null);
    return tem.findOneOrFail(Segment, { id }, { refresh: true });
  });
}

export async function deleteSegment(em: EntityManager, id: string, audit?: WriteAudit): Promise<boolean> {
  return em.transactional(async (tem) => {
    const rows: Array<{ id: string }> = await tem.execute('delete from segments where id = ? returning id', [id]);
    if (!rows.length) throw new DomainError(ErrorCode.NOT_FOUND, 'segment not found', { field: 'id' });
    await audit?.(tem, null);
    return true;
  });
}

/**
 * Evaluates one segment over all active customers in one statement: opens a membership for each
 * newcomer, closes it for each leaver (history kept), and stores the count. It also stores the rule
 * compiled for the real-time path (predicate_sql, predicate_params, depends_on), so that what the
 * triggers run is always what the current compiler makes of the current rule.
 */
export async function evaluateSegment(em: EntityManager, segmentId: string, asOf: Date): Promise<SegmentEvaluation> {
  const [segment]: Array<{ rule: SegmentRule }> = await em.execute('select rule from segments where id = ? for update', [segmentId]);
  if (!segment) throw new DomainError(ErrorCode.NOT_FOUND, 'segment not found', { field: 'id' });
  const compiled = compileSegmentRule(segment.rule, asOf);
  const stored = compileStoredPredicate(segment.rule);
  const [r]: Array<{ members: string; entered: string; left_: string }> = await em.execute(
    `with current_members as (
       select a.id as customer_id from customers a left join customer_metrics m on m.customer_id = a.id
       where a.status = 'active' and (${compiled.sql})),
     closed as (
       update segment_memberships sm set left_at = ? where sm.segment_id = ? and sm.left_at is null
         and not exists (select 1 from current_members c where c.customer_id = sm.customer_id) returning 1),
     opened as (
       insert into segment_memberships (segment_id, customer_id, entered_at)
       select ?, c.customer_id, ? from current_members c
       where not exists (select 1 from segment_memberships sm where sm.segment_id = ? and sm.customer_id = c.customer_id and sm.left_at is null)
       on conflict (segment_id, customer_id) where left_at is null do nothing
       returning 1)
     select (select count(*) from current_members) as members, (select count(*) from opened) as entered, (select count(*) from closed) as left_`,
    [...compiled.params, asOf, segmentId, segmentId, asOf, segmentId],
  );
  await em.execute(
    'update segments set member_count = ?, evaluated_at = ?, predicate_sql = ?, predicate_params = ?::jsonb, depends_on = ?::text[] where id = ?',
    [Number(r.members), asOf, stored.sql, JSON.stringify(stored.params), `{${stored.dependsOn.join(',')}}`, segmentId],
  );
  return { segmentId, members: Number(r.members), entered: Number(r.entered), left: Number(r.left_) };
}

/** Current members (open stays) of many segments, one statement (the open-stay unique index answers it). */
export async function countCurrentMembers(em: EntityManager, segmentIds: readonly string[]): Promise<number[]> {
  const rows: Array<{ segment_id: string; n: string }> = await em.execute(
    'select segment_id, count(*) as n from segment_memberships where segment_id = any(?::uuid[]) and left_at is null group by segment_id',
    [uuidArray(segmentIds)],
  );
  const byId = new Map(rows.map((r) => [String(r.segment_id), Number(r.n)]));
  return segmentIds.map((id) => byId.get(id) ?? 0);
}

export async function evaluateAllSegments(em: EntityManager, asOf: Date): Promise<SegmentEvaluation[]> {
  const ids: Array<{ id: string }> = await em.execute('select id from segments order by name');
  const results: SegmentEvaluation[] = [];
  for (const { id } of ids) results.push(await evaluateSegment(em, id, asOf));
  return results;
}
