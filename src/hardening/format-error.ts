import type { GraphQLFormattedError } from 'graphql';
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
 * Wraps the application's formatError: a statement cancelled by `DB_STATEMENT_TIMEOUT_MS` becomes
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
    const out = base(formatted, error);
    // Apollo's own wording names its constructor option; say the same as INTROSPECTION=staff does.
    if (out.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED') return { ...out, message: INTROSPECTION_DISABLED_MESSAGE };
    return opts.hideSuggestions ? { ...out, message: stripSuggestions(out.message) } : out;
  };
}
