import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import { ConnectionException, DriverException, UniqueConstraintViolationException, CheckConstraintViolationException, NotNullConstraintViolationException, ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import { DomainError, ErrorCode } from './domain-error';

/** Apollo's own codes (parse/validation failures, variable coercion…) pass through untouched. */
const PASS_THROUGH = new Set([
  'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'BAD_REQUEST', 'UNAUTHENTICATED', 'FORBIDDEN',
  'SERVICE_UNAVAILABLE',
  // A request stopped by its budget, its timeout or its client (src/hardening/budget.ts): every field
  // it cut short answers the stop's own error, which is the client's to read, not a server fault.
  'BUDGET_EXCEEDED', 'REQUEST_TIMEOUT', 'CLIENT_CLOSED_REQUEST',
]);

/**
 * What of an error may be logged. A driver exception's message carries the SQL and can carry bound
 * values (an email, a name): only its class, SQLSTATE and the schema objects involved are kept.
 */
export function loggableError(err: unknown): Record<string, unknown> {
  if (err instanceof DriverException) {
    const e = err as DriverException & { table?: string; constraint?: string; column?: string; routine?: string };
    return { type: e.name, sqlState: e.code, table: e.table, constraint: e.constraint, column: e.column, routine: e.routine };
  }
  return { err };
}

/** SQLSTATE classes and socket codes of a database that cannot be reached or is going away. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P02', '57P03']);
const UNAVAILABLE_MESSAGES = /Connection terminated|Timeout acquiring a connection|timeout exceeded when trying to connect|connection error|the database system is (starting up|shutting down)|Client was closed/i;

/**
 * Is this the database being unreachable (down, restarting, pool unable to connect) rather than a
 * fault of the request? Such answers are 503 SERVICE_UNAVAILABLE with `retryable: true`: the client
 * should send the same request again later (every write is idempotent or transactional).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return someCause(err, (e) => {
    if (e instanceof ConnectionException) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    const message = (e as { message?: unknown }).message;
    return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
  });
}

/** Whether `test` holds for the error or one of its causes (`cause`, or graphql-js's `originalError`), six deep at most. */
function someCause(err: unknown, test: (e: object) => boolean): boolean {
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    if (test(e)) return true;
    e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError;
  }
  return false;
}

export const SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE';
export const UNAVAILABLE_MESSAGE = 'the database is unavailable; nothing was changed, retry later';

export interface ErrorLogger {
  error(obj: Record<string, unknown>, msg: string): void;
  warn?(obj: Record<string, unknown>, msg: string): void;
}

/**
 * SQLSTATE 40001 (serialization_failure) or 40P01 (deadlock_detected), on the error or its causes:
 * PostgreSQL aborted the transaction in favour of a concurrent one, and running it again may succeed.
 */
export function isConcurrencyAbort(err: unknown): boolean {
  return someCause(err, (e) => {
    const code = (e as { code?: unknown }).code;
    return code === '40001' || code === '40P01';
  });
}

/**
 * The one place that turns anything thrown into what a client sees. Exhaustive over ErrorCode;
 * unknown errors become INTERNAL_SERVER_ERROR with no message, stack or SQL, and are logged.
 */
export function createFormatError(logger: ErrorLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { locations: formatted.locations, path: formatted.path };

    if (isDatabaseUnavailable(original)) {
      logger.error({ ...loggableError(original), path: formatted.path }, 'database unavailable');
      return { ...base, message: UNAVAILABLE_MESSAGE, extensions: { code: SERVICE_UNAVAILABLE, retryable: true } };
    }
    if (original instanceof DomainError) {
      return { ...base, message: original.message, extensions: { ...original.details, code: codeOf(original.code) } };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = original.extensions.validationErrors?.map((v) => v.property);
      return { ...base, message: 'Argument validation failed', extensions: { code: ErrorCode.BAD_USER_INPUT, fields } };
    }
    // Deadlock or serialization failure: PostgreSQL aborted this write's transaction in favour of a
    // concurrent one. Nothing was written and the same request may simply be sent again.
    if (isConcurrencyAbort(original)) {
      logger.warn?.({ ...loggableError(original), path: formatted.path }, 'write aborted by a concurrent transaction');
      return { ...base, message: 'a concurrent write to the same records went first; nothing was written, send the request again', extensions: { code: ErrorCode.CONFLICT, reason: 'CONCURRENT_WRITE', retryable: true } };
    }
    if (original instanceof UniqueConstraintViolationException) {
      return { ...base, message: 'conflicts with an existing record', extensions: { code: ErrorCode.CONFLICT } };
    }
    if (original instanceof CheckConstraintViolationException || original instanceof NotNullConstraintViolationException) {
      return { ...base, message: 'a value is outside what is allowed', extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    if (original instanceof ForeignKeyConstraintViolationException) {
      return { ...base, message: 'refers to a record that does not exist', extensions: { code: ErrorCode.NOT_FOUND } };
    }
    // Data exceptions (class 22: invalid text encoding, numeric overflow…) are bad input that slipped past
    // validation: still the client's to fix, and nothing was written (the transaction rolled back).
    if (original instanceof DriverException && typeof original.code === 'string' && original.code.startsWith('22')) {
      logger.error({ ...loggableError(original), path: formatted.path }, 'input rejected by PostgreSQL: add a validation for it');
      return { ...base, message: 'a value could not be stored (invalid characters or out of range)', extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }
    const code = formatted.extensions?.code;
    if (!(original instanceof DriverException) && typeof code === 'string' && PASS_THROUGH.has(code) && (original instanceof GraphQLError || original === error)) {
      const { stacktrace: _s, exception: _e, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error({ ...loggableError(original), path: formatted.path }, 'unexpected error while resolving');
    return { ...base, message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

function codeOf(code: ErrorCode): string {
  switch (code) {
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.NOT_FOUND:
    case ErrorCode.CONFLICT:
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.FORBIDDEN:
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return code;
    default: {
      const never: never = code;
      return never;
    }
  }
}
