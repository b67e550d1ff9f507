import { DEFAULT_MERGE_POLICY, isBlocklisted, parseMergePolicy, sourceRank } from '../../src/services/merge-policy';
import { IdentityKind } from '../../src/entities/enums';

/**
 * MERGE_POLICY (src/services/merge-policy.ts) at unit level: every key's validation and message, the
 * defaults and their independence from the frozen constant, junk-value patterns, and survivorship
 * ranks. The merges these decide are tested over HTTP in tests/integration/merges.test.ts. Mutation
 * scope `merge-policy`.
 */

const KIND_LIST = 'email, phone, external_id, crm_id, loyalty_card, device';
const fails = (raw: string) => {
  try {
    parseMergePolicy(raw);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('parseMergePolicy', () => {
  it('unset or blank: the defaults, as copies that leave the constant untouched', () => {
    const expected = {
      autoMergeKinds: ['email', 'phone', 'crm_id', 'loyalty_card'],
      limits: { crm_id: 1 },
      blocklist: {
        email: ['test@test.com', 'test@example.com', 'noreply@*', 'no-reply@*', 'donotreply@*', 'do-not-reply@*', 'none@*', 'null@*', 'unknown@*'],
        phone: ['+10000000000', '+11111111111', '+12345678900', '+33600000000', '+440000000000'],
      },
      sourcePriority: [],
    };
    for (const raw of [undefined, '', '   \n']) expect(parseMergePolicy(raw)).toEqual(expected);
    const p = parseMergePolicy(undefined);
    p.autoMergeKinds.push(IdentityKind.DEVICE);
    p.limits[IdentityKind.EMAIL] = 3;
    p.blocklist[IdentityKind.EMAIL]!.push('x@*');
    p.sourcePriority.push('crm');
    expect(parseMergePolicy(undefined)).toEqual(expected);
    expect(DEFAULT_MERGE_POLICY).toEqual(expected);
  });

  it('each key given replaces its default; keys left out keep theirs', () => {
    const p = parseMergePolicy(JSON.stringify({
      autoMergeKinds: ['email', 'device', 'email'],
      limits: { phone: 2, crm_id: 1000, email: 1 },
      blocklist: { email: ['  Fake@Example.COM ', '*@spam.test'] },
      sourcePriority: ['crm', 'store', 'crm'],
    }));
    expect(p).toEqual({
      autoMergeKinds: ['email', 'device'],
      limits: { phone: 2, crm_id: 1000, email: 1 },
      blocklist: { email: ['fake@example.com', '*@spam.test'] },
      sourcePriority: ['crm', 'store'],
    });
    expect(parseMergePolicy('{"sourcePriority":["a"]}')).toMatchObject({ autoMergeKinds: ['email', 'phone', 'crm_id', 'loyalty_card'], limits: { crm_id: 1 }, sourcePriority: ['a'] });
    expect(parseMergePolicy('{"limits":{}}').limits).toEqual({});
    expect(parseMergePolicy('{"blocklist":{}}').blocklist).toEqual({});
    expect(parseMergePolicy('{"autoMergeKinds":[]}').autoMergeKinds).toEqual([]);
  });

  it('refuses what is not a JSON object', () => {
    for (const raw of ['{', 'null', '[]', '"email"', '42', 'false']) expect([raw, fails(raw)]).toEqual([raw, 'MERGE_POLICY must be a JSON object']);
    expect(fails('{"autoMerge":[]}')).toBe('MERGE_POLICY has an unknown key "autoMerge" (known: autoMergeKinds, limits, blocklist, sourcePriority)');
  });

  it('autoMergeKinds: an array of identifier kinds', () => {
    expect(fails('{"autoMergeKinds":"email"}')).toBe('MERGE_POLICY.autoMergeKinds must be an array of identifier kinds');
    expect(fails('{"autoMergeKinds":["email","fax"]}')).toBe(`MERGE_POLICY.autoMergeKinds: "fax" is not an identifier kind (${KIND_LIST})`);
    expect(fails('{"autoMergeKinds":[1]}')).toBe(`MERGE_POLICY.autoMergeKinds: "1" is not an identifier kind (${KIND_LIST})`);
  });

  it('limits: an object of kind → integer from 1 to 1000', () => {
    for (const raw of ['{"limits":[]}', '{"limits":null}', '{"limits":3}']) {
      expect([raw, fails(raw)]).toEqual([raw, 'MERGE_POLICY.limits must be an object of kind → positive integer']);
    }
    for (const n of ['0', '1001', '1.5', '"2"', 'null', '-1']) {
      expect([n, fails(`{"limits":{"phone":${n}}}`)]).toEqual([n, 'MERGE_POLICY.limits.phone must be an integer from 1 to 1000']);
    }
    expect(parseMergePolicy('{"limits":{"phone":1}}').limits).toEqual({ phone: 1 });
    expect(fails('{"limits":{"fax":2}}')).toBe(`MERGE_POLICY.limits: "fax" is not an identifier kind (${KIND_LIST})`);
  });

  it('blocklist: an object of kind → non-empty strings of at most 254 characters, stored trimmed and in lower case', () => {
    for (const raw of ['{"blocklist":[]}', '{"blocklist":null}', '{"blocklist":"x"}']) {
      expect([raw, fails(raw)]).toEqual([raw, 'MERGE_POLICY.blocklist must be an object of kind → array of values']);
    }
    for (const list of ['"x@y"', '["ok", 3]', '["ok", "  "]', `["${'a'.repeat(255)}"]`]) {
      expect([list, fails(`{"blocklist":{"email":${list}}}`)]).toEqual([list, 'MERGE_POLICY.blocklist.email must be an array of non-empty strings']);
    }
    expect(parseMergePolicy(`{"blocklist":{"email":["${'A'.repeat(254)}"]}}`).blocklist.email).toEqual(['a'.repeat(254)]);
    expect(fails('{"blocklist":{"fax":["x"]}}')).toBe(`MERGE_POLICY.blocklist: "fax" is not an identifier kind (${KIND_LIST})`);
  });

  it('sourcePriority: names of 1 to 64 visible ASCII characters', () => {
    const message = 'MERGE_POLICY.sourcePriority must be an array of source names (1 to 64 visible characters)';
    for (const list of ['"crm"', '[""]', '["two words"]', '[3]', `["${'s'.repeat(65)}"]`, '["crm\\n"]', '["\\u00e9"]', '["x\\u007f"]', '["crm", ""]', '["crm", "store", 7]']) {
      expect([list, fails(`{"sourcePriority":${list}}`)]).toEqual([list, message]);
    }
    expect(parseMergePolicy(`{"sourcePriority":["!", "~", "${'s'.repeat(64)}"]}`).sourcePriority).toEqual(['!', '~', 's'.repeat(64)]);
  });
});

describe('isBlocklisted', () => {
  it('matches the normalised value against whole patterns, `*` standing for any run of characters', () => {
    // Parsed inside the test: a mutant that breaks parsing fails this test instead of the file's loading.
    const policy = parseMergePolicy(undefined);
    expect(isBlocklisted(policy, IdentityKind.EMAIL, 'test@example.com')).toBe(true);
    expect(isBlocklisted(policy, IdentityKind.EMAIL, '  NoReply@Shop.example ')).toBe(true);
    expect(isBlocklisted(policy, IdentityKind.EMAIL, 'noreply@')).toBe(true);
    // Anchored at both ends.
    expect(isBlocklisted(policy, IdentityKind.EMAIL, 'xtest@example.com')).toBe(false);
    expect(isBlocklisted(policy, IdentityKind.EMAIL, 'test@example.comx')).toBe(false);
    expect(isBlocklisted(policy, IdentityKind.EMAIL, 'mynoreply@shop.example')).toBe(false);
    // A dot is a dot, not any character.
    expect(isBlocklisted(policy, IdentityKind.EMAIL, 'test@testxcom')).toBe(false);
    expect(isBlocklisted(policy, IdentityKind.PHONE, '+10000000000')).toBe(true);
    // `+` is literal: not "one or more".
    expect(isBlocklisted(policy, IdentityKind.PHONE, '10000000000')).toBe(false);
    // Kinds without a list block nothing.
    expect(isBlocklisted(policy, IdentityKind.CRM_ID, 'test@example.com')).toBe(false);
  });

  it('regex characters in a pattern are literal; `*` anywhere', () => {
    const p = parseMergePolicy('{"blocklist":{"external_id":["a.b(c)[d]{2}$^|?\\\\", "*-000", "x*y*z"], "email":[]}}');
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, 'a.b(c)[d]{2}$^|?\\')).toBe(true);
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, 'axb(c)[d]{2}$^|?\\')).toBe(false);
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, 'order-000')).toBe(true);
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, '-000')).toBe(true);
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, 'x123y456z')).toBe(true);
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, 'x123y456')).toBe(false);
    expect(isBlocklisted(p, IdentityKind.EMAIL, 'test@example.com')).toBe(false);
    // The compiled patterns follow the list they came from (two policies, two lists).
    const q = parseMergePolicy('{"blocklist":{"external_id":["only"]}}');
    expect(isBlocklisted(q, IdentityKind.EXTERNAL_ID, 'order-000')).toBe(false);
    expect(isBlocklisted(q, IdentityKind.EXTERNAL_ID, 'only')).toBe(true);
    expect(isBlocklisted(p, IdentityKind.EXTERNAL_ID, 'only')).toBe(false);
  });
});

describe('sourceRank', () => {
  it('lower is more trusted; unlisted, empty and missing sources share the last rank', () => {
    const p = parseMergePolicy('{"sourcePriority":["crm","store"]}');
    expect([sourceRank(p, 'crm'), sourceRank(p, 'store'), sourceRank(p, 'web'), sourceRank(p, ''), sourceRank(p, null), sourceRank(p, undefined)]).toEqual([0, 1, 2, 2, 2, 2]);
    expect(sourceRank(parseMergePolicy(undefined), 'crm')).toBe(0);
  });
});
