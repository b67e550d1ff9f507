import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { INTROSPECTION_DISABLED_MESSAGE } from './plugins';

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface HardenedFormatOptions {
  /** Remove graphql-js' "Did you mean …?" hints: they reveal field, type and enum names. */
  hideSuggestions: boolean;
  logger: { warn(obj: Record<string, unknown>, msg: string): void };
}

/** graphql-js appends suggestions as the last sentence of a message. */
export function stripSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .+\?$/s, '');
}

/** graphql-js stops coercing variables after 50 errors with this message, and no code of its own. */
export const TOO_MANY_ERRORS_MESSAGE = 'Too many errors processing variables, error limit reached. Execution aborted.';

/** graphql-js' getArgumentValues messages (graphql 16 execution/values.ts). */
const ARGUMENT_COERCION = /^Argument "(\w+)" (?:of (?:non-null|required) type "[^"]+" (?:must not be null|was provided the variable)|has invalid value)/;

/** Longest message answered; past it the middle (where graphql-js prints the client's value) is cut. */
export const MAX_MESSAGE_LENGTH = 300;

/**
 * graphql-js prints a rejected variable's whole value into the message ("got invalid value { …80,000
 * keys… }"), once per error: keep the start (which variable) and the end (why), drop the echo.
 */
export function truncateMessage(message: string, max = MAX_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  const half = Math.floor((max - 3) / 2);
  return `${message.slice(0, half)} … ${message.slice(-half)}`;
}

/** PostgreSQL `query_canceled` (57014): statement_timeout fired (or the statement was cancelled). */
export function isStatementCancelled(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    if ((e as { code?: unknown }).code === '57014') return true;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/**
 * Wraps the application's formatError: messages are cut to MAX_MESSAGE_LENGTH, graphql-js' "too many
 * errors" gets a code of its own (TOO_MANY_ERRORS, HTTP 400: see `tooManyErrorsPlugin`), a statement cancelled by `DB_STATEMENT_TIMEOUT_MS` becomes
 * `QUERY_TIMEOUT` (a clean, retryable answer instead of INTERNAL_SERVER_ERROR), introspection refusals
 * read the same in every mode, and outside development every message loses its "Did you mean …?"
 * suggestion (validation and variable coercion).
 */
export function hardenFormatError(base: FormatError, opts: HardenedFormatOptions): FormatError {
  return (formatted, error) => {
    const original = unwrapResolverError(error);
    if (isStatementCancelled(original)) {
      opts.logger.warn({ path: formatted.path }, 'statement cancelled by statement_timeout');
      return {
        message: 'the database took too long to answer and the statement was cancelled; ask for less (smaller pages, fewer fields) or retry later',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'QUERY_TIMEOUT' },
      };
    }
    // graphql-js' own argument coercion during execution (a variable explicitly null where the
    // argument is non-null with a default, say) throws a GraphQLError with no code: the client's input.
    const argument = ARGUMENT_COERCION.exec(formatted.message);
    if (argument && original instanceof GraphQLError && !original.originalError && (formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR') === 'INTERNAL_SERVER_ERROR') {
      return { ...formatted, message: truncateMessage(formatted.message), extensions: { code: 'BAD_USER_INPUT', field: argument[1] } };
    }
    if (formatted.message === TOO_MANY_ERRORS_MESSAGE) {
      return { message: 'the variables hold too many invalid values (graphql-js stops at 50); fix the first ones and retry', extensions: { code: 'TOO_MANY_ERRORS' } };
    }
    const raw = base(formatted, error);
    const out = raw.message.length > MAX_MESSAGE_LENGTH ? { ...raw, message: truncateMessage(raw.message) } : raw;
    // Apollo's own wording names its constructor option; say the same as INTROSPECTION=staff does.
    if (out.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED') return { ...out, message: INTROSPECTION_DISABLED_MESSAGE };
    return opts.hideSuggestions ? { ...out, message: stripSuggestions(out.message) } : out;
  };
}
