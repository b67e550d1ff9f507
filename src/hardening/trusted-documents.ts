import fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendGraphQLError } from './http';

/**
 * Trusted documents (README "Trusted documents"): with `TRUSTED_DOCUMENTS` set, the server runs only
 * the operations of a manifest that the clients' build produced (codegen's client preset,
 * `persistedDocuments`), identified by the SHA-256 of their text. A client sends the hash, as
 * `documentId` ("sha256:<hash>", the GraphQL-over-HTTP persisted-documents form) or as
 * `extensions.persistedQuery.sha256Hash` (the APQ shape); a free-form `query` runs only when its text is itself in the manifest. Anything else is
 * refused before it is parsed, so an attacker's document costs a hash lookup and nothing more.
 */
export interface TrustedDocuments {
  size: number;
  /** The document to run for this request's fields, or the refusal. */
  resolve(req: { query?: unknown; extensions?: unknown; documentId?: unknown }): { query: string } | { code: string; message: string };
}

const HASH = /^[0-9a-f]{64}$/;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Reads a manifest: a JSON object of SHA-256 hash → document text. Every hash is checked against its text. */
export function loadTrustedDocuments(file: string): TrustedDocuments {
  let manifest: unknown;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`TRUSTED_DOCUMENTS: cannot read ${file} as JSON: ${(err as Error).message}`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new Error(`TRUSTED_DOCUMENTS: ${file} must be a JSON object of sha256 hash → document`);
  const docs = new Map<string, string>();
  for (const [key, text] of Object.entries(manifest)) {
    // codegen's client preset writes "sha256:<hash>" keys; APQ clients send the bare hash.
    const hash = key.replace(/^sha256:/, '');
    if (!HASH.test(hash) || typeof text !== 'string') throw new Error(`TRUSTED_DOCUMENTS: ${file}: "${hash.slice(0, 80)}" is not a sha256 hash → document entry`);
    // A hash that is not its document's would let a listed id run another text: refuse the manifest.
    if (sha256(text) !== hash) throw new Error(`TRUSTED_DOCUMENTS: ${file}: the document under ${hash} does not hash to it (generate it with hashAlgorithm: sha256)`);
    docs.set(hash, text);
  }
  return {
    size: docs.size,
    resolve(req) {
      const ext = typeof req.extensions === 'object' && req.extensions !== null ? (req.extensions as { persistedQuery?: { sha256Hash?: unknown } }) : undefined;
      const id = ext?.persistedQuery?.sha256Hash ?? (typeof req.documentId === 'string' ? req.documentId.replace(/^sha256:/, '') : undefined);
      if (id !== undefined) {
        const text = typeof id === 'string' ? docs.get(id) : undefined;
        return text !== undefined ? { query: text } : { code: 'PERSISTED_QUERY_NOT_IN_LIST', message: 'this operation is not one of the trusted documents' };
      }
      if (typeof req.query === 'string' && docs.has(sha256(req.query))) return { query: req.query };
      return { code: 'PERSISTED_QUERY_ID_REQUIRED', message: 'only trusted documents are served here: send the hash of a registered operation' };
    },
  };
}

/** On /graphql after the body is parsed: puts the trusted text in place of the request's, or refuses it with 400. */
export function trustedDocumentsIntake(trusted: TrustedDocuments): RequestHandler {
  return (req, res, next) => {
    const fromQueryString = req.method === 'GET';
    const params = (fromQueryString ? req.query : req.body) as Record<string, unknown> | undefined;
    if (!params || typeof params !== 'object' || Array.isArray(params)) return next();
    let extensions = params.extensions;
    if (fromQueryString && typeof extensions === 'string') {
      try {
        extensions = JSON.parse(extensions);
      } catch {
        return sendGraphQLError(res, 400, 'BAD_REQUEST', 'extensions must be JSON');
      }
    }
    const outcome = trusted.resolve({ query: params.query, extensions, documentId: params.documentId });
    if ('code' in outcome) return sendGraphQLError(res, 400, outcome.code, outcome.message);
    const rewritten: Record<string, unknown> = { ...params, query: outcome.query };
    delete rewritten.documentId;
    // The hash was ours to check: Apollo's own APQ (off in this mode) must not see it.
    if (typeof extensions === 'object' && extensions !== null) {
      const { persistedQuery: _persisted, ...rest } = extensions as Record<string, unknown>;
      rewritten.extensions = fromQueryString ? JSON.stringify(rest) : rest;
    }
    if (fromQueryString) {
      // Express 5's req.query is a getter: replace the whole object it reads from.
      Object.defineProperty(req, 'query', { value: rewritten, configurable: true, enumerable: true, writable: true });
    } else {
      req.body = rewritten;
    }
    next();
  };
}
