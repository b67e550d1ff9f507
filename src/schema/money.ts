import { Field, ObjectType } from 'type-graphql';
import { CurrencyScalar, SafeIntScalar } from './scalars';

/** An amount in integer minor units (cents, pence…) of an ISO 4217 currency. Never a float. */
@ObjectType('Money')
export class Money {
  constructor(amountMinor: number, currency: string) {
    this.amountMinor = amountMinor;
    this.currency = currency;
  }

  @Field(() => SafeIntScalar, { description: 'Amount in minor units of the currency (e.g. cents).' })
  amountMinor: number;

  @Field(() => CurrencyScalar, { description: 'ISO 4217 currency code.' })
  currency: string;

  @Field(() => String, { description: 'Decimal amount as a string, e.g. "12.30", exact (no floating point).' })
  get amount(): string {
    return formatMinor(this.amountMinor, minorUnitDigits(this.currency));
  }
}

/** ISO 4217 currencies whose minor unit is not 2 digits. */
const MINOR_DIGITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4,
};

export function minorUnitDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

export function formatMinor(amountMinor: number, digits: number): string {
  const negative = amountMinor < 0;
  const abs = Math.abs(amountMinor).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? abs : abs.slice(0, abs.length - digits);
  const frac = digits === 0 ? '' : `.${abs.slice(abs.length - digits)}`;
  return `${negative ? '-' : ''}${whole}${frac}`;
}
