import fs from 'node:fs';
import path from 'node:path';
import { policyMarkdown } from '../../src/auth/policy-doc';
import { permissionRules } from '../../src/schema/permissions';

const root = path.join(__dirname, '..', '..');

it("the README's policy table is the enforced policy (run `npm run policy:doc`)", () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('<!-- policy:start -->') + '<!-- policy:start -->'.length;
  const end = readme.indexOf('<!-- policy:end -->');
  expect(readme.slice(start, end).trim()).toBe(policyMarkdown());
});

// The whole permission tree, rule by rule: any change shows in this snapshot's diff and is reviewed
// as a permission change (types guarded only by "isAuthenticated" or "isAdmin" included).
it('the permission tree matches its reviewed snapshot', () => {
  const tree = Object.fromEntries(
    Object.entries(permissionRules as Record<string, unknown>).map(([type, rules]) => [
      type,
      rules && typeof rules === 'object' && !('name' in rules)
        ? Object.fromEntries(Object.entries(rules as Record<string, { name: string }>).map(([field, r]) => [field, r.name]))
        : (rules as { name: string }).name,
    ]),
  );
  expect(tree).toMatchSnapshot();
});
