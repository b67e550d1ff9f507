import { buildSchema, isObjectType, type GraphQLSchema } from 'graphql';
import fs from 'node:fs';
import path from 'node:path';
import {
  ALL_ROLES, EXPECTED_MUTATIONS, EXPECTED_QUERIES, EXPECTED_SUBSCRIPTIONS, EXPECTED_TYPES, GRANT_INVARIANTS, INVARIANTS,
  type ExpectedAccess, type ExpectedGrant, type RoleName,
} from './access-expectations';
import { MUTATION_POLICY, QUERY_POLICY, SUBSCRIPTION_POLICY, TYPE_POLICY, type FieldPolicy, type Grant } from '../../src/auth/policy';
import { permissionRules } from '../../src/schema/permissions';

/**
 * The reviewed access expectations (access-expectations.ts) against their own invariants, against the
 * schema the server serves (schema.graphql, kept equal to the built schema by schema-files.test.ts),
 * and against the rule tree and policy table that enforce them. The HTTP probes of the same file are
 * field-matrix.test.ts and root-operations.test.ts.
 */
const schema: GraphQLSchema = buildSchema(fs.readFileSync(path.join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));
const ROOTS: Record<string, Record<string, ExpectedAccess>> = { Query: EXPECTED_QUERIES, Mutation: EXPECTED_MUTATIONS, Subscription: EXPECTED_SUBSCRIPTIONS };

/** Every (type, field, access) the file states; a whole-type entry stands for each field of the served type. */
function statedAccess(): Array<{ type: string; field: string; access: ExpectedAccess; wholeType?: true }> {
  const out: Array<{ type: string; field: string; access: ExpectedAccess; wholeType?: true }> = [];
  for (const [type, fields] of Object.entries(ROOTS)) for (const [field, access] of Object.entries(fields)) out.push({ type, field, access });
  for (const [type, entry] of Object.entries(EXPECTED_TYPES)) {
    if (typeof entry === 'object') {
      for (const [field, access] of Object.entries(entry)) out.push({ type, field, access });
    } else {
      const t = schema.getType(type);
      const roles: RoleName[] = entry === 'admin' ? ['admin'] : [...ALL_ROLES];
      for (const field of isObjectType(t) ? Object.keys(t.getFields()) : []) out.push({ type, field, access: Object.fromEntries(roles.map((r) => [r, true])), wholeType: true });
    }
  }
  return out;
}

describe('the expectations keep their invariants', () => {
  it.each(INVARIANTS.map((i) => [i.why, i] as const))('%s', (_why, inv) => {
    const all = statedAccess();
    const broken: string[] = [];
    for (const pattern of inv.fields) {
      const [type, field] = pattern.split('.');
      const matched = all.filter((a) => a.type === type && (field === '*' || a.field === field));
      if (!matched.length) broken.push(`${pattern}: names nothing in the expectations`);
      for (const a of matched) {
        const extra = Object.keys(a.access).filter((r) => !inv.onlyRoles.includes(r as RoleName));
        if (extra.length) broken.push(`${a.type}.${a.field}: granted to ${extra.join(', ')}`);
      }
    }
    expect(broken).toEqual([]);
  });

  // Field by field and root grants (a whole-type rule grants no data of its own: see EXPECTED_TYPES).
  it.each(GRANT_INVARIANTS.map((i) => [i.why, i] as const))('%s', (_why, inv) => {
    const broken = statedAccess().filter((a) => !a.wholeType).flatMap(({ type, field, access }) =>
      Object.entries(access).filter(([role, grant]) => !inv.check(type, field, role as RoleName, grant as ExpectedGrant)).map(([role]) => `${type}.${field} (${role})`),
    );
    expect(broken).toEqual([]);
  });
});

describe('every field the schema serves has a stated expectation', () => {
  it('object types and their fields', () => {
    const served = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !t.name.startsWith('__') && !ROOTS[t.name]);
    const missing: string[] = [];
    for (const t of served) {
      const entry = EXPECTED_TYPES[t.name];
      if (!entry) missing.push(`${t.name} (whole type)`);
      else if (typeof entry === 'object') for (const f of Object.keys((t as { getFields(): object }).getFields())) if (!entry[f]) missing.push(`${t.name}.${f}`);
    }
    expect(missing).toEqual([]);
  });

  it('root fields', () => {
    for (const [root, fields] of Object.entries(ROOTS)) {
      const type = root === 'Query' ? schema.getQueryType() : root === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      expect({ root, fields: Object.keys(type?.getFields() ?? {}).sort() }).toEqual({ root, fields: Object.keys(fields).sort() });
    }
  });

  it('names no type or field the schema does not serve', () => {
    const stale = statedAccess().filter(({ type, field }) => {
      const t = schema.getType(type);
      return !isObjectType(t) || !t.getFields()[field];
    }).map(({ type, field }) => `${type}.${field}`);
    const staleTypes = Object.keys(EXPECTED_TYPES).filter((t) => !isObjectType(schema.getType(t)));
    expect([...staleTypes, ...stale]).toEqual([]);
  });
});

/** A policy-table grant in the file's terms. */
function asExpected(grant: Grant): ExpectedGrant {
  if (grant === true) return true;
  if ('scope' in grant) return { scope: grant.scope };
  const purposes = new Set(grant.consent.anyOf.map((n) => n.purpose));
  const email = purposes.has('email_marketing' as never);
  const phone = [...purposes].some((p) => p !== 'email_marketing');
  return { consent: email && phone ? 'any-contact' : email ? 'email' : 'phone' };
}
const asExpectedAccess = (p: FieldPolicy): ExpectedAccess => Object.fromEntries(Object.entries(p).map(([r, g]) => [r, asExpected(g as Grant)]));

describe('the enforced rule tree and policy grant exactly what the expectations state', () => {
  it('root fields', () => {
    expect(Object.fromEntries(Object.entries(QUERY_POLICY).map(([f, p]) => [f, asExpectedAccess(p)]))).toEqual(EXPECTED_QUERIES);
    expect(Object.fromEntries(Object.entries(MUTATION_POLICY).map(([f, p]) => [f, asExpectedAccess(p)]))).toEqual(EXPECTED_MUTATIONS);
    expect(Object.fromEntries(Object.entries(SUBSCRIPTION_POLICY).map(([f, p]) => [f, asExpectedAccess(p)]))).toEqual(EXPECTED_SUBSCRIPTIONS);
  });

  it('types: whole-type rules and every field grant', () => {
    const tree = permissionRules as Record<string, unknown>;
    const actual: Record<string, unknown> = {};
    for (const [type, entry] of Object.entries(tree)) {
      if (ROOTS[type]) continue;
      const name = (entry as { name?: unknown }).name;
      if (typeof name === 'string') actual[type] = name === 'isAdmin' ? 'admin' : name === 'isAuthenticated' ? 'authenticated' : name;
      else actual[type] = Object.fromEntries(Object.keys(entry as object).map((f) => [f, asExpectedAccess(TYPE_POLICY[type]?.[f] ?? {})]));
    }
    expect(actual).toEqual(EXPECTED_TYPES);
  });
});
