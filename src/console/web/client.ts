import type { TypedDocumentString } from './gql/graphql.js';

/** A GraphQL error as the API answers it: a FORBIDDEN one names, in `path`, what was withheld. */
export interface GqlError {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; reason?: string };
}

export interface Result<T> {
  status: number;
  /** Partial data: whatever the viewer may see, with null where something was withheld. */
  data: T | null;
  errors: GqlError[];
}

/**
 * Runs a typed document (codegen's client preset, string mode) under the viewer's own token: the
 * variables and the answer are typed by the operation, and nothing but its text goes over the wire.
 */
export async function execute<TResult, TVariables>(
  endpoint: string,
  token: string,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): Promise<Result<TResult>> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${token}` },
    // The id too: a server in trusted-documents mode runs the registered text by it (when the console's
    // manifest, gql/persisted-documents.json, is part of its list); any other server runs the text.
    body: JSON.stringify({ query: document.toString(), variables, documentId: document.__meta__?.hash }),
  });
  let body: { data?: TResult | null; errors?: GqlError[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = { errors: [{ message: `HTTP ${res.status}` }] };
  }
  return { status: res.status, data: body.data ?? null, errors: body.errors ?? [] };
}

/** The FORBIDDEN paths of an answer ("profile.email", "feedback.feedback.nodes.2.text"…). */
export class Withheld {
  private readonly paths: Array<{ path: string; reason: string }>;

  constructor(errors: GqlError[]) {
    this.paths = errors
      .filter((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.length)
      .map((e) => ({ path: e.path!.join('.'), reason: e.extensions?.reason ?? 'FORBIDDEN' }));
  }

  /** Why `path` (or a field above it) was withheld; undefined when it was not. */
  reason(path: Array<string | number>): string | undefined {
    const p = path.join('.');
    return this.paths.find((w) => p === w.path || p.startsWith(w.path + '.'))?.reason;
  }

  /** Whether something at or below `path` was withheld. */
  within(path: Array<string | number>): boolean {
    const p = path.join('.');
    return this.paths.some((w) => w.path === p || w.path.startsWith(p + '.') || p.startsWith(w.path + '.'));
  }

  /** The withheld paths at or under a root field (for a panel whose root came back null). */
  below(root: string): Array<{ path: string; reason: string }> {
    return this.paths.filter((w) => w.path === root || w.path.startsWith(root + '.'));
  }
}

/** Errors that are not a withheld field: shown as a message in the panel, never as an error page. */
export function otherErrors(errors: GqlError[]): GqlError[] {
  return errors.filter((e) => e.extensions?.code !== 'FORBIDDEN' || !e.path?.length);
}
