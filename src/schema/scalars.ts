export {
  DateTimeResolver as DateTimeScalar,
  LocalDateResolver as LocalDateScalar,
  EmailAddressResolver as EmailAddressScalar,
  JSONObjectResolver as JSONObjectScalar,
  SafeIntResolver as SafeIntScalar,
  CurrencyResolver as CurrencyScalar,
  LocaleResolver as LocaleScalar,
  NonNegativeIntResolver as NonNegativeIntScalar,
  PositiveIntResolver as PositiveIntScalar,
  CountryCodeResolver as CountryCodeScalar,
} from 'graphql-scalars';
