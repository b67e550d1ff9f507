import { expectGlobalId, fromGlobalId, toGlobalId } from '../../src/schema/global-id';
import { formatMinor, minorUnitDigits, Money } from '../../src/schema/money';
import { normalizeEmail, normalizeIdentifier, normalizePhone } from '../../src/services/identity-normalizer';
import { decodeCursor, encodeCursor, uuidArray } from '../../src/services/pagination';
import { IdentityKind } from '../../src/entities/enums';
import { DomainError } from '../../src/errors/domain-error';
import { loadConfig } from '../../src/config';

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
});
