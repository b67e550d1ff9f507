import { ACTION_POLICY, EVENT_POLICY, MUTATION_POLICY, OWN_CONTACT_FIELDS, QUERY_POLICY, SUBSCRIPTION_POLICY, TYPE_POLICY, type FieldPolicy, type Grant } from './policy';
import { Role } from './viewer';

const ROLES = [Role.ADMIN, Role.SUPPORT, Role.MARKETING, Role.ANALYST, Role.PARTNER, Role.CUSTOMER];

/** `ownContact`: a contact field, given under a consent or scope grant only where the address is the customer's own (OWN_CONTACT_FIELDS). */
function cell(grant: Grant | undefined, ownContact = false): string {
  if (!grant) return '—';
  if (grant === true) return '✓';
  const own = ownContact ? ', own address only' : '';
  if ('scope' in grant) return `\`${grant.scope}\`${own}`;
  return `consent: ${grant.consent.anyOf.map((n) => `${n.purpose.toLowerCase()}/${n.channel.toLowerCase()}`).join(' or ')}${own}`;
}

/**
 * Groups fields with identical rows so the table stays readable, e.g. "Order: id, total, lines…".
 */
function rows(prefix: string, entries: Array<[string, FieldPolicy]>, type?: string): string[] {
  const groups = new Map<string, string[]>();
  for (const [field, policy] of entries) {
    const ownContact = !!(type && OWN_CONTACT_FIELDS[type]?.[field]);
    const key = ROLES.map((r) => cell(policy[r], ownContact)).join(' | ');
    groups.set(key, [...(groups.get(key) ?? []), field]);
  }
  return [...groups].map(([key, fields]) => `| ${prefix}${fields.map((f) => `\`${f}\``).join(', ')} | ${key} |`);
}

/** The README's policy table, generated from the policy itself (a test keeps the README in step). */
export function policyMarkdown(): string {
  const header = [`| field | ${ROLES.join(' | ')} |`, `|---|${ROLES.map(() => '---').join('|')}|`];
  const body = [
    ...rows('Query ', Object.entries(QUERY_POLICY)),
    ...rows('Mutation ', Object.entries(MUTATION_POLICY)),
    ...rows('Subscription ', Object.entries(SUBSCRIPTION_POLICY)),
    ...rows('Webhook event ', Object.entries(EVENT_POLICY)),
    ...rows('Action ', Object.entries(ACTION_POLICY)),
    ...Object.entries(TYPE_POLICY).flatMap(([type, fields]) => rows(`${type}: `, Object.entries(fields), type)),
  ];
  return [...header, ...body].join('\n');
}
