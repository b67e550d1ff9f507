import { expectGlobalId, fromGlobalId, toGlobalId } from '../../src/schema/global-id';
import { formatMinor, minorUnitDigits, Money } from '../../src/schema/money';
import { normalizeEmail, normalizeIdentifier, normalizePhone } from '../../src/services/identity-normalizer';
import { decodeCursor, encodeCursor, uuidArray } from '../../src/services/pagination';
import { IdentityKind } from '../../src/entities/enums';
import { DomainError } from '../../src/errors/domain-error';
import { loadConfig } from '../../src/config';
import fc from 'fast-check';

const ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('global ids', () => {
  it('round-trips and rejects ids of another type or garbage', () => {
    const gid = toGlobalId('Customer', ID);
    expect(fromGlobalId(gid)).toEqual({ type: 'Customer', id: ID });
    expect(expectGlobalId(gid, 'Customer')).toBe(ID);
    expect(() => expectGlobalId(toGlobalId('Order', ID), 'Customer')).toThrow(DomainError);
    expect(fromGlobalId('nonsense')).toBeNull();
    expect(fromGlobalId(toGlobalId('Customer', "1' or 1=1"))).toBeNull();
  });

  it('needs a non-empty type before the separator and nothing around the uuid', () => {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    expect(fromGlobalId(b64(ID))).toBeNull();
    expect(fromGlobalId(b64(`:${ID}`))).toBeNull();
    expect(fromGlobalId(b64(`Customer:x${ID}`))).toBeNull();
    expect(fromGlobalId(b64(`Customer:${ID}x`))).toBeNull();
    expect(fromGlobalId(b64(`Customer:${ID.toUpperCase()}`))).toEqual({ type: 'Customer', id: ID });
    expect(fromGlobalId(toGlobalId('Café', ID))).toEqual({ type: 'Café', id: ID });
  });

  it('refuses an id of another type as BAD_USER_INPUT naming the argument', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return { code: (err as DomainError).code, message: (err as DomainError).message, details: (err as DomainError).details };
      }
      return null;
    };
    expect(refusal(() => expectGlobalId(toGlobalId('Order', ID), 'Customer'))).toEqual({
      code: 'BAD_USER_INPUT', message: 'id is not a valid Customer id', details: { argumentName: 'id' },
    });
    expect(refusal(() => expectGlobalId('garbage', 'Order', 'orderId'))).toEqual({
      code: 'BAD_USER_INPUT', message: 'orderId is not a valid Order id', details: { argumentName: 'orderId' },
    });
  });
});

describe('money', () => {
  it('formats minor units exactly, per currency exponent', () => {
    expect(formatMinor(123456, 2)).toBe('1234.56');
    expect(formatMinor(5, 2)).toBe('0.05');
    expect(formatMinor(-5, 2)).toBe('-0.05');
    expect(formatMinor(1500, 0)).toBe('1500');
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('KWD')).toBe(3);
    expect(new Money(1005, 'KWD').amount).toBe('1.005');
    expect(new Money(Number.MAX_SAFE_INTEGER, 'EUR').amount).toBe('90071992547409.91');
  });

  /** The exact decimal by integer arithmetic on BigInt: the reference a float-based formatter drifts from. */
  const exact = (minor: number, digits: number) => {
    const abs = BigInt(Math.abs(minor));
    const unit = 10n ** BigInt(digits);
    const frac = digits ? `.${(abs % unit).toString().padStart(digits, '0')}` : '';
    return `${minor < 0 ? '-' : ''}${abs / unit}${frac}`;
  };

  it('stays exact for every amount up to 2^53 minor units, in every exponent (no trip through floats)', () => {
    // Near 2^53 a float has no room for the fraction: x / 100 rounds to a neighbouring cent.
    const big = fc.integer({ min: 2 ** 52, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(fc.oneof(big, big.map((n) => -n), fc.integer()), fc.constantFrom(0, 2, 3, 4), (minor, digits) => {
        expect(formatMinor(minor, digits)).toBe(exact(minor, digits));
      }),
      { numRuns: 2000 },
    );
    // Amounts that float division provably gets wrong (7·10^13 major units and beyond).
    for (const minor of [7_000_000_000_000_01, 9_007_199_254_740_95, Number.MAX_SAFE_INTEGER - 2, 4_503_599_627_370_497]) {
      expect(new Money(minor, 'EUR').amount).toBe(exact(minor, 2));
      expect(new Money(-minor, 'KWD').amount).toBe(exact(-minor, 3));
    }
  });
});

describe('identifier normalisation', () => {
  it('normalises emails and phones, and refuses what is not one', () => {
    expect(normalizeEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(() => normalizeEmail('ada at example.com')).toThrow(/not a valid email/);
    expect(normalizePhone('+1 (415) 555-2671')).toBe('+14155552671');
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958');
    expect(() => normalizePhone('12')).toThrow(/not a valid phone/);
  });

  it('needs a namespace for source-system ids', () => {
    expect(normalizeIdentifier(IdentityKind.CRM_ID, ' 42 ', 'HubSpot')).toEqual({ kind: IdentityKind.CRM_ID, namespace: 'hubspot', value: '42' });
    expect(() => normalizeIdentifier(IdentityKind.EXTERNAL_ID, '42', '')).toThrow(/namespace/);
    expect(normalizeIdentifier(IdentityKind.EMAIL, 'A@B.CO', 'ignored')).toEqual({ kind: IdentityKind.EMAIL, namespace: '', value: 'a@b.co' });
  });
});

describe('cursors', () => {
  it('round-trips and rejects forged cursors with BAD_USER_INPUT', () => {
    const c = { v: '2026-01-01 10:00:00.123456+00', id: ID };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(null)).toBeNull();
    for (const bad of ['x', Buffer.from('[1]').toString('base64url'), Buffer.from('["a","not-a-uuid"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });

  it('binds UUID lists as one array literal and refuses anything else', () => {
    expect(uuidArray([ID, ID])).toBe(`{${ID},${ID}}`);
    expect(() => uuidArray(['x}'])).toThrow();
  });
});

describe('config', () => {
  it('validates the environment and refuses unsafe production settings', () => {
    expect(loadConfig({}).port).toBe(4000);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://x/y' })).toThrow(/JWT_SECRET/);
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://x/y', JWT_SECRET: 'j'.repeat(32) };
    expect(() => loadConfig(prod)).toThrow(/PSEUDONYM_KEYS/);
    expect(() => loadConfig({ ...prod, PSEUDONYM_KEYS: 'short' })).toThrow(/PSEUDONYM_KEYS/);
    expect(loadConfig({ ...prod, PSEUDONYM_KEYS: `${'n'.repeat(32)},${'o'.repeat(40)}` }).pseudonymKeys.keys).toHaveLength(2);
    expect(loadConfig({ DATABASE_URL: 'postgres://x/y' }).seedDemo).toBe(false);
    expect(loadConfig({}).seedDemo).toBe(true);
  });

  it('SEGMENT_TRAIT_KEYS: none by default; keys separated by commas or spaces, once each; a key with a control character refused', () => {
    expect(loadConfig({}).segmentTraitKeys).toEqual([]);
    expect(loadConfig({ SEGMENT_TRAIT_KEYS: ' plan, loyaltyMember plan ' }).segmentTraitKeys).toEqual(['plan', 'loyaltyMember']);
    expect(() => loadConfig({ SEGMENT_TRAIT_KEYS: 'plan,\u0007bell' })).toThrow(/SEGMENT_TRAIT_KEYS/);
    expect(() => loadConfig({ SEGMENT_TRAIT_KEYS: 'x'.repeat(101) })).toThrow(/SEGMENT_TRAIT_KEYS/);
  });
});
