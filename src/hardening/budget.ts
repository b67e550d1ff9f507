import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, Connection } from 'pg';
import {
  GraphQLError, Kind, createSourceEventStream, defaultFieldResolver, execute, getNullableType, isListType, isObjectType,
  type ExecutionArgs, type ExecutionResult, type FieldNode, type GraphQLResolveInfo, type GraphQLSchema, type SelectionSetNode,
} from 'graphql';
import type { RequestHandler } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';

/**
 * What one /graphql request may still do. The static cost (limits.ts) is an estimate made before
 * execution; this is the check made during it: every list a resolver returns is counted (rows, and
 * the fields that will be resolved on them), and once the request is over its budget, timed out or
 * abandoned by its client, every further list or root field fails at once and the statements it has
 * running in PostgreSQL are cancelled.
 */
export interface RequestWork {
  rows: number;
  fields: number;
  readonly maxRows: number;
  readonly maxFields: number;
  /** Set once the request must stop: the error every further field answers. */
  stopped?: GraphQLError;
  /** pg clients running (or queued with) one of this request's statements, and how many. */
  readonly running: Map<Client, number>;
}

const storage = new AsyncLocalStorage<RequestWork>();

export function currentWork(): RequestWork | undefined {
  return storage.getStore();
}

/** Stops the request: later fields answer `error`, running statements are cancelled (PostgreSQL's cancel request). */
export function stopWork(work: RequestWork, error: GraphQLError): void {
  if (work.stopped) return;
  work.stopped = error;
  for (const [client, n] of work.running) if (n > 0) cancelBackend(client);
}

/**
 * Clients with a cancel request on its way: their next statements wait until PostgreSQL has taken it.
 * A cancel cancels whatever the backend runs when it arrives. The statement it was sent for may have
 * ended meanwhile and its connection gone back to the pool: had another request's statement started
 * on it, that statement would fail ("canceling statement due to user request"), a request that did
 * nothing wrong. A cancel that arrives while the backend waits for a command is ignored, so waiting
 * for it to be delivered (the server closes the cancel socket once it has signalled the backend) is
 * enough.
 */
const cancelling = new WeakMap<Client, Promise<void>>();
/** Longest a statement waits for a cancel request to be delivered (a server that never closes the socket). */
const CANCEL_DELIVERY_MAX_MS = 2_000;

/**
 * PostgreSQL's cancel protocol: a fresh socket carrying the backend's pid and secret key. It needs no
 * pooled connection, so it works when the request holds all of them.
 */
function cancelBackend(client: Client): void {
  const c = client as Client & { processID?: number; secretKey?: number };
  if (c.processID === undefined || c.secretKey === undefined) return;
  let delivered!: () => void;
  const pending: Promise<void> = new Promise<void>((resolve) => {
    delivered = () => {
      clearTimeout(timer);
      // Gone before the waiting statements run, so they do not wait for it again.
      if (cancelling.get(client) === pending) cancelling.delete(client);
      resolve();
    };
    const timer = setTimeout(() => delivered(), CANCEL_DELIVERY_MAX_MS);
    timer.unref();
  });
  cancelling.set(client, pending);
  // pg's own protocol connection; its typings omit connect() and cancel().
  const con = new Connection() as unknown as {
    on(event: string, fn: () => void): void;
    connect(portOrPath: number | string, host?: string): void;
    cancel(pid: number, key: number): void;
    end(): void;
  };
  con.on('error', () => delivered()); // the server closes the socket after a cancel request
  con.on('end', () => delivered());
  con.on('connect', () => {
    con.cancel(c.processID!, c.secretKey!);
    con.end();
  });
  if (c.host?.startsWith('/')) con.connect(`${c.host}/.s.PGSQL.${c.port}`);
  else con.connect(c.port, c.host);
}

let tracking = false;

/**
 * Notes which pg client runs each statement of a request (Client.prototype.query, patched once; outside
 * a request it costs one lookup), so that a stopped request's statements can be cancelled.
 */
export function installQueryTracking(): void {
  if (tracking) return;
  tracking = true;
  const original = Client.prototype.query;
  Client.prototype.query = function trackedQuery(this: Client, ...args: unknown[]): unknown {
    const pending = cancelling.get(this);
    if (pending) {
      // After the cancel request has been delivered (see `cancelling`); pg answers a submittable
      // (a cursor, COPY) with itself and a callback call with nothing, so those can be answered now.
      const run = () => trackedQuery.apply(this, args);
      const first = args[0] as { submit?: unknown } | undefined;
      if (first && typeof first.submit === 'function') {
        void pending.then(run);
        return first;
      }
      if (typeof args[args.length - 1] === 'function') {
        void pending.then(run);
        return undefined;
      }
      return pending.then(run);
    }
    const work = storage.getStore();
    if (!work) return (original as (...a: unknown[]) => unknown).apply(this, args);
    const running = work.running;
    running.set(this, (running.get(this) ?? 0) + 1);
    const done = () => {
      const n = (running.get(this) ?? 1) - 1;
      if (n > 0) running.set(this, n);
      else running.delete(this);
    };
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...a: unknown[]) => unknown;
      args[last] = (...cbArgs: unknown[]) => {
        done();
        return callback(...cbArgs);
      };
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    }
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(done, done);
    else done();
    return result;
  } as typeof Client.prototype.query;
}

/** A request's budget before it has done anything. */
function newRequestWork(maxRows: number, maxFields: number): RequestWork {
  return { rows: 0, fields: 0, maxRows, maxFields, running: new Map() };
}

/** First on /graphql: the request's budget, for everything that runs on its behalf. */
export function requestWork(maxRows: number, maxFields: number): RequestHandler {
  return (_req, res, next) => {
    const work = newRequestWork(maxRows, maxFields);
    res.locals.rapportWork = work;
    // A client that hangs up is not waiting for the rest.
    res.once('close', () => {
      if (!res.writableFinished) stopWork(work, new GraphQLError('the client closed the connection', { extensions: { code: 'CLIENT_CLOSED_REQUEST' } }));
    });
    storage.run(work, next);
  };
}

/**
 * Fields selected on each item of a list (fragments expanded one level deep: an upper bound).
 * Remembered per field node when the field has one, else per list of nodes (graphql-js keeps that
 * list for a parent selection): a node spread from a fragment may be merged with other nodes of the
 * same field elsewhere in the document, so its count alone is not the count of every merge.
 */
const selectedPerItem = new WeakMap<FieldNode | readonly FieldNode[], number>();
export function fieldsPerItem(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): number {
  const key = info.fieldNodes.length === 1 ? info.fieldNodes[0] : info.fieldNodes;
  let n = selectedPerItem.get(key);
  if (n !== undefined) return n;
  const count = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
    let c = 0;
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) c++;
      else if (sel.kind === Kind.INLINE_FRAGMENT) c += count(sel.selectionSet, seen);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        c += count(info.fragments[sel.name.value]?.selectionSet, seen);
      }
    }
    return c;
  };
  n = Math.max(1, info.fieldNodes.reduce((acc, f) => acc + count(f.selectionSet, new Set()), 0));
  selectedPerItem.set(key, n);
  return n;
}

export function budgetError(limit: 'rows' | 'fields', max: number): GraphQLError {
  const what = limit === 'rows' ? 'list items' : 'resolved fields';
  return new GraphQLError(`the answer grew past ${max} ${what}, the limit per request; it was stopped: ask for smaller pages or fewer nested lists`, {
    extensions: { code: 'BUDGET_EXCEEDED', limit, max },
  });
}

function count(work: RequestWork, value: unknown, info: GraphQLResolveInfo): unknown {
  if (!Array.isArray(value)) return value;
  work.rows += value.length;
  work.fields += value.length * fieldsPerItem(info);
  if (work.rows > work.maxRows) stopWork(work, budgetError('rows', work.maxRows));
  else if (work.fields > work.maxFields) stopWork(work, budgetError('fields', work.maxFields));
  if (work.stopped) throw work.stopped;
  return value;
}

const BUDGETED = Symbol('budgeted');

/**
 * Wraps the resolver of every list field and every root field of the served schema with the budget
 * check. Scalar and single-object fields are left alone: they are bounded by the lists above them.
 */
export function applyBudget(schema: GraphQLSchema): GraphQLSchema {
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean));
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const isList = isListType(getNullableType(field.type));
      if (!isList && !roots.has(type)) continue;
      // Servers built in one process may share a schema: wrap each resolver once.
      if (field.resolve && (field.resolve as { [BUDGETED]?: boolean })[BUDGETED]) continue;
      const inner = field.resolve ?? defaultFieldResolver;
      const budgeted: typeof field.resolve = (source, args, ctx, info) => {
        const work = storage.getStore();
        if (!work) return inner(source, args, ctx, info);
        if (work.stopped) throw work.stopped;
        const result = inner(source, args, ctx, info);
        if (!isList) return result;
        if (result && typeof (result as Promise<unknown>).then === 'function') return (result as Promise<unknown>).then((v) => count(work, v, info));
        return count(work, result, info);
      };
      (budgeted as { [BUDGETED]?: boolean })[BUDGETED] = true;
      field.resolve = budgeted;
    }
  }
  return schema;
}

/**
 * A request stopped by its budget answers one error (not one per field it cut short), with what had
 * been resolved before. HTTP status 400 when nothing is left (no data), as for the static cost.
 */
export function budgetPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const work = storage.getStore();
      return {
        async willSendResponse({ response }) {
          const stopped = work?.stopped;
          if (!stopped || stopped.extensions.code !== 'BUDGET_EXCEEDED' || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.errors = [{ message: stopped.message, extensions: { ...stopped.extensions } }];
          if (result.data == null && response.http) response.http.status = 400;
        },
      };
    },
  };
}

/**
 * graphql-ws's `subscribe`: graphql-js's own (the source stream, then the selection executed once per
 * event), except that each event's execution is a request of its own, as one over HTTP is: a budget
 * of rows and resolved fields (`requestWork`), and `timeoutMs` (`requestTimeout`; 0: none) after
 * which the event answers REQUEST_TIMEOUT and its running statements are cancelled. Ending the
 * subscription stops the event being executed. Without this, an event ran unbounded: graphql-ws
 * passes through none of the HTTP intake.
 */
export function budgetedSubscribe(limits: { maxRows: number; maxFields: number; timeoutMs: number }) {
  const newWork = (): RequestWork => newRequestWork(limits.maxRows, limits.maxFields);

  const runEvent = (args: ExecutionArgs, payload: unknown, work: RequestWork): Promise<ExecutionResult> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ExecutionResult>((resolve) => {
      if (!limits.timeoutMs) return;
      timer = setTimeout(() => {
        const error = new GraphQLError(`the event was not executed within ${limits.timeoutMs} ms and was abandoned; ask for less`, { extensions: { code: 'REQUEST_TIMEOUT' } });
        stopWork(work, error);
        resolve({ errors: [error] });
      }, limits.timeoutMs);
      timer.unref();
    });
    const executed = storage.run(work, async () => {
      const result = await execute({ ...args, rootValue: payload });
      // One error for a budget stop, with what had been resolved before (budgetPlugin, over HTTP).
      const stopped = work.stopped;
      return stopped?.extensions.code === 'BUDGET_EXCEEDED' ? { ...result, errors: [stopped] } : result;
    });
    return Promise.race([executed, timedOut]).finally(() => clearTimeout(timer));
  };

  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await storage.run(newWork(), () => createSourceEventStream(args));
    if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
    const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    let current: RequestWork | undefined;
    const events: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const r = await source.next();
        if (r.done) return { value: undefined, done: true };
        const work = (current = newWork());
        try {
          return { value: await runEvent(args, r.value, work), done: false };
        } finally {
          if (current === work) current = undefined;
        }
      },
      // Unsubscribing ends the source at once (graphql-js does the same), even while it waits for an event.
      return: async () => {
        if (current) stopWork(current, new GraphQLError('the subscription was ended', { extensions: { code: 'CLIENT_CLOSED_REQUEST' } }));
        await source.return?.();
        return { value: undefined, done: true };
      },
      throw: async (error: unknown) => {
        await source.return?.();
        throw error;
      },
      [Symbol.asyncIterator]: () => events,
    };
    return events;
  };
}
