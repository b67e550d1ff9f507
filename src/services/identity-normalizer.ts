import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { badInput } from '../errors/domain-error';
import { IdentityKind } from '../entities/enums';
import { rejectNul } from './validation';

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeEmail(raw: string, field = 'email'): string {
  rejectNul(raw, field);
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_RE.test(email)) throw badInput(`${field} is not a valid email address`, field);
  return email;
}

/** E.164; numbers without a country prefix are read in `defaultCountry`. */
export function normalizePhone(raw: string, defaultCountry: CountryCode | undefined = undefined, field = 'phone'): string {
  rejectNul(raw, field);
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry);
  if (!parsed || !parsed.isValid()) throw badInput(`${field} is not a valid phone number (use international format, e.g. +44 20 7946 0958)`, field);
  return parsed.number;
}

export function normalizeIdentifier(kind: IdentityKind, value: string, namespace = '', field = 'value'): { kind: IdentityKind; namespace: string; value: string } {
  rejectNul(value, field);
  rejectNul(namespace, 'namespace');
  const ns = namespace.trim().toLowerCase();
  switch (kind) {
    case IdentityKind.EMAIL:
      return { kind, namespace: '', value: normalizeEmail(value, field) };
    case IdentityKind.PHONE:
      return { kind, namespace: '', value: normalizePhone(value, undefined, field) };
    case IdentityKind.EXTERNAL_ID:
    case IdentityKind.CRM_ID:
    case IdentityKind.LOYALTY_CARD:
    case IdentityKind.DEVICE: {
      const v = value.trim();
      if (!v || v.length > 200) throw badInput(`${field} must be 1 to 200 characters`, field);
      if ((kind === IdentityKind.EXTERNAL_ID || kind === IdentityKind.CRM_ID) && !ns) {
        throw badInput(`${kind} identifiers need a namespace naming their source system`, 'namespace');
      }
      if (!/^[a-z0-9_.-]{0,64}$/.test(ns)) throw badInput('namespace may hold only a-z, 0-9, _ . - (at most 64)', 'namespace');
      return { kind, namespace: ns, value: v };
    }
  }
}
