export {
  DateTimeResolver as DateTimeScalar,
  LocalDateResolver as LocalDateScalar,
  EmailAddressResolver as EmailAddressScalar,
  JSONObjectResolver as JSONObjectScalar,
  SafeIntResolver as SafeIntScalar,
  CurrencyResolver as CurrencyScalar,
  LocaleResolver as LocaleScalar,
  CountryCodeResolver as CountryCodeScalar,
} from 'graphql-scalars';

import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * Strict integer scalars. graphql-scalars' NonNegativeInt/PositiveInt read variables with parseInt,
 * so 12.5 became 12 and "3 apples" became 3: a silent change to money. These accept only integers.
 */
function strictInt(name: string, description: string, min: number) {
  const check = (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new GraphQLError(`${name} must be an integer, got ${JSON.stringify(v)}`);
    if (v < min) throw new GraphQLError(`${name} must be at least ${min}, got ${v}`);
    return v;
  };
  return new GraphQLScalarType<number, number>({
    name,
    description,
    serialize: check,
    parseValue: check,
    parseLiteral(ast: ValueNode) {
      if (ast.kind !== Kind.INT) throw new GraphQLError(`${name} must be an integer literal`, { nodes: [ast] });
      return check(Number(ast.value));
    },
    extensions: { codegenScalarType: 'number' },
  });
}

export const NonNegativeIntScalar = strictInt('NonNegativeInt', 'An integer ≥ 0 (no fractions, no strings).', 0);
export const PositiveIntScalar = strictInt('PositiveInt', 'An integer ≥ 1 (no fractions, no strings).', 1);
