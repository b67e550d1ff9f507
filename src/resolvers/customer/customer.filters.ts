import { NO_FILTER, type SqlFilter } from '../../loaders/child-page.loader';
import { textArray } from '../../services/pagination';
import { badInput } from '../../errors/domain-error';
import type { InteractionFilter } from '../interaction/interaction.inputs';

/**
 * The SQL of the filter arguments of a customer's nested lists, over the page's child row `c`: one
 * definition for the resolvers' loaders and for the read planner (src/planner), so both read the same rows.
 */
export function interactionFilterSql(filter: InteractionFilter | null): SqlFilter {
  if (!filter) return NO_FILTER;
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.channels?.length) {
    clauses.push('c.channel = any(?::text[])');
    params.push(textArray(filter.channels));
  }
  if (filter.types?.length) {
    clauses.push('c.type = any(?::text[])');
    params.push(textArray(filter.types));
  }
  if (filter.since) {
    clauses.push('c.occurred_at >= ?');
    params.push(filter.since);
  }
  if (filter.until) {
    clauses.push('c.occurred_at < ?');
    params.push(filter.until);
  }
  if (filter.since && filter.until && filter.since >= filter.until) throw badInput('filter.since must be before filter.until', 'filter.since');
  if (filter.campaign) {
    clauses.push('c.campaign = ?');
    params.push(filter.campaign);
  }
  const signature = JSON.stringify([
    [...(filter.channels ?? [])].sort(), [...(filter.types ?? [])].sort(), filter.since?.toISOString() ?? null, filter.until?.toISOString() ?? null, filter.campaign ?? null,
  ]);
  return { clauses, params, signature };
}

/** `Customer.feedback(kinds)`. */
export function feedbackKindsSql(kinds: readonly string[] | null | undefined): SqlFilter {
  return kinds?.length
    ? { clauses: ['c.kind = any(?::text[])'], params: [textArray(kinds)], signature: `kinds:${[...kinds].sort().join(',')}` }
    : NO_FILTER;
}

/** `CustomerConsents.history(purpose)`. */
export function consentPurposeSql(purpose: string | null | undefined): SqlFilter {
  return purpose ? { clauses: ['c.purpose = ?'], params: [purpose], signature: `purpose:${purpose}` } : NO_FILTER;
}
