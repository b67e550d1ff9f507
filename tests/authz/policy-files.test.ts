import fs from 'node:fs';
import path from 'node:path';
import { policyMarkdown } from '../../src/auth/policy-doc';
import { permissionRules } from '../../src/schema/permissions';
import { MUTATION_POLICY, QUERY_POLICY, SUBSCRIPTION_POLICY, TYPE_POLICY, type FieldPolicy } from '../../src/auth/policy';

const root = path.join(__dirname, '..', '..');

it("the README's policy table is the enforced policy (run `npm run policy:doc`)", () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- policy:start -->') + '<!-- policy:start -->'.length;
  const end = readme.indexOf('<!-- policy:end -->');
  expect(readme.slice(start, end).trim()).toBe(policyMarkdown());
});

/** A graphql-shield rule (a type's fields map is a plain object, even when a field is called `name`). */
const isRule = (x: unknown): x is { name: string } => typeof (x as { resolve?: unknown })?.resolve === 'function';

/** Who holds a grant, and on what condition: `admin, marketing (consent email_marketing/email), partner (scope orders:read)`. */
function grants(policy: FieldPolicy | undefined): string {
  if (!policy) return 'no grant';
  return Object.entries(policy).map(([role, g]) => {
    if (g === true) return role;
    if ('scope' in g!) return `${role} (scope ${g.scope})`;
    return `${role} (consent ${g!.consent.anyOf.map((n) => `${n.purpose}/${n.channel}`).join(' or ')})`;
  }).join(', ');
}

const POLICIES: Record<string, Record<string, FieldPolicy>> = { Query: QUERY_POLICY, Mutation: MUTATION_POLICY, Subscription: SUBSCRIPTION_POLICY, ...TYPE_POLICY };

// The whole permission tree, rule by rule and grant by grant: any change shows in this snapshot's diff
// and is reviewed as a permission change (types guarded only by "isAuthenticated" or "isAdmin" included).
it('the permission tree matches its reviewed snapshot', () => {
  const tree = Object.fromEntries(
    Object.entries(permissionRules as Record<string, unknown>).map(([type, rules]) => [
      type,
      isRule(rules)
        ? rules.name
        : Object.fromEntries(Object.entries(rules as Record<string, unknown>).map(([field, r]) => [
          field, `${isRule(r) ? r.name : 'NOT A RULE'} · ${grants(POLICIES[type]?.[field])}`,
        ])),
    ]),
  );
  expect(tree).toMatchSnapshot();
});
