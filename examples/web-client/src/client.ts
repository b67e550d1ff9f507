import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

/** What a call answers: the operation's own result type, or the errors. */
export type Result<T> = { data: T; errors?: undefined } | { data?: T | null; errors: Array<{ message: string; extensions?: { code?: string } }> };

export interface ClientOptions {
  endpoint: string;
  /** A bearer token (staff or customer) or, for a partner, an API key. */
  token?: string;
  apiKey?: string;
  /** Send only the document's hash (trusted-documents servers); otherwise the text. */
  persisted?: boolean;
}

/**
 * A minimal typed GraphQL client: `execute(CustomerCardQuery, { id })` is checked against the
 * operation's variables and answers its result type. Any client that takes a TypedDocumentNode
 * (urql, Apollo Client, graphql-request) does the same; this one shows what goes over the wire.
 */
export async function execute<TResult, TVariables extends Record<string, unknown>>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
  opts: ClientOptions,
): Promise<Result<TResult>> {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  // A persisted document goes by its id ("sha256:<hash>"), the text stays with the server.
  const body = opts.persisted && hash ? { documentId: hash, variables } : { query: print(document), variables };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  const res = await fetch(opts.endpoint, { method: 'POST', headers, body: JSON.stringify(body) });
  return (await res.json()) as Result<TResult>;
}
