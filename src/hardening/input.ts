import {
  GraphQLError, Kind, TypeInfo, getNamedType, getNullableType, isInputObjectType, isListType, typeFromAST, visit, visitWithTypeInfo,
  type DocumentNode, type GraphQLInputType, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import type { RequestHandler } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import { pushObjectChildren, sendGraphQLError } from './http';

/**
 * Shape limits on `variables`, checked on the parsed body before anything else reads it (before
 * authentication, parsing and coercion): graphql-js coerces every key of an input object and each
 * error message prints the whole value, so one 80,000-key object cost seconds and tens of MB even
 * for an anonymous client.
 */
export const VARIABLES_LIMITS = {
  /** Keys of any one object (no input type has more than a few dozen fields). */
  keysPerObject: 500,
  /** Keys and list items in all the variables together (an `ingestEvents` batch of 1,000 events fits). */
  entries: 50_000,
  /** Nesting of the variables (the JSON properties of an interaction may nest 32 levels). */
  depth: 40,
} as const;

/** What is wrong with the variables' shape, if anything. Iterative: a hostile value cannot exhaust the stack. */
export function variablesShapeProblem(variables: unknown, limits = VARIABLES_LIMITS): { limit: 'variableKeys' | 'variableEntries' | 'variableDepth'; max: number; message: string } | undefined {
  let entries = 0;
  // Same order of visit as a stack of [value, depth] pairs, so the same problem is found first.
  const values: object[] = [];
  const depths: number[] = [];
  if (variables !== null && typeof variables === 'object') {
    values.push(variables);
    depths.push(0);
  }
  while (values.length) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    if (depth + 1 > limits.depth) return { limit: 'variableDepth', max: limits.depth, message: `the variables nest deeper than ${limits.depth} levels` };
    // The object's children are pushed as they are counted; on a problem they are dropped with the walk.
    const children = pushObjectChildren(v, depth + 1, values, depths);
    if (!Array.isArray(v) && children > limits.keysPerObject) {
      return { limit: 'variableKeys', max: limits.keysPerObject, message: `an object in the variables has ${children} keys; the limit is ${limits.keysPerObject}` };
    }
    entries += children;
    if (entries > limits.entries) return { limit: 'variableEntries', max: limits.entries, message: `the variables hold more than ${limits.entries} keys and list items` };
  }
  return undefined;
}

/** After the body parser: 400 `BAD_REQUEST` (with `limit` and `max`) for variables past VARIABLES_LIMITS. */
export function variablesLimit(): RequestHandler {
  return (req, res, next) => {
    const variables = req.body && typeof req.body === 'object' ? (req.body as { variables?: unknown }).variables : undefined;
    const problem = variables && typeof variables === 'object' ? variablesShapeProblem(variables) : undefined;
    if (problem) return sendGraphQLError(res, 400, 'BAD_REQUEST', problem.message, { limit: problem.limit, max: problem.max });
    return next();
  };
}

// A NUL (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its pair (not a character: no
// UTF-8 encoding exists for it, so it cannot be stored or compared).
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const DATE_SCALARS = new Set(['DateTime', 'LocalDate']);

/** Why an input value can never be valid, whatever the field; undefined when it may be. */
export function unstorableValue(value: unknown, typeName: string | undefined): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'is not a finite number';
  if (typeof value !== 'string') return undefined;
  if (UNSTORABLE.test(value)) return 'contains a NUL character or an unpaired UTF-16 surrogate';
  if (typeName && DATE_SCALARS.has(typeName)) {
    // ISO 8601 years 0000 and below, or past 9999, parse in JavaScript but not in PostgreSQL.
    const m = /^([+-]?\d+)-/.exec(value.trim());
    if (m && (Number(m[1]) < 1 || Number(m[1]) > 9999)) return 'is a date outside the years 1 to 9999';
  }
  return undefined;
}

function badInput(field: string, problem: string, nodes?: GraphQLError['nodes']): GraphQLError {
  return new GraphQLError(`${field} ${problem}`, { nodes, extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } } });
}

/** Walks a variable's value along its input type; returns the first field holding an unstorable value. */
export function checkVariable(value: unknown, type: GraphQLInputType | undefined, field: string): GraphQLError | undefined {
  // Three stacks side by side (value, its type, the field it is reported under) rather than a triple
  // per value, and keys read in place rather than copied (Object.entries): an ingestEvents batch is
  // thousands of values, and this walk was an eighth of everything its request allocated (sampling
  // heap profile of npm run bench:ingest). Same order of visit, so the same value is reported.
  const values: unknown[] = [value];
  const types: Array<GraphQLInputType | undefined> = [type];
  const names: string[] = [field];
  while (values.length) {
    const v = values.pop();
    const t = types.pop();
    const name = names.pop()!;
    if (v === null || v === undefined) continue;
    const nullable = t ? getNullableType(t) : undefined;
    if (typeof v !== 'object') {
      const problem = unstorableValue(v, t ? getNamedType(t).name : undefined);
      if (problem) return badInput(name, problem);
      continue;
    }
    if (Array.isArray(v)) {
      const item = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
      for (let n = 0; n < v.length; n++) {
        values.push(v[n]);
        types.push(item);
        names.push(name);
      }
      continue;
    }
    const fields = nullable && isInputObjectType(nullable) ? nullable.getFields() : undefined;
    // Keys of a JSON scalar name nothing in the schema: they keep the field that holds them.
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      values.push((v as Record<string, unknown>)[k]);
      types.push(fields?.[k]?.type);
      names.push(fields ? k : name);
    }
  }
  return undefined;
}

/** The first unstorable value in the operation's literals (typed) and variables, as BAD_USER_INPUT naming its field. */
export function unstorableInput(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): GraphQLError | undefined {
  for (const def of operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (!(name in variables)) continue;
    const err = checkVariable(variables[name], typeFromAST(schema, def.type) as GraphQLInputType | undefined, name);
    if (err) return err;
  }
  // Literals are the document's: Apollo hands the same (cached) document to every request sending it.
  const cached = literalVerdicts.get(document);
  if (cached !== undefined) return cached ?? undefined;
  let found: GraphQLError | undefined;
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    enter(node, _key, parent, _path, ancestors) {
      if (found) return false;
      let value: unknown;
      if (node.kind === Kind.STRING) value = node.value;
      else if (node.kind === Kind.FLOAT || node.kind === Kind.INT) value = Number(node.value);
      else return undefined;
      const type = typeInfo.getInputType();
      const problem = unstorableValue(value, type ? getNamedType(type).name : undefined);
      if (!problem) return undefined;
      const owner = [...ancestors, parent].reverse().find((a) => !Array.isArray(a) && ((a as { kind?: string }).kind === Kind.OBJECT_FIELD || (a as { kind?: string }).kind === Kind.ARGUMENT)) as { name: { value: string } } | undefined;
      found = badInput(owner?.name.value ?? 'a value', problem, [node]);
      return false;
    },
  }));
  literalVerdicts.set(document, found ?? null);
  return found;
}

const literalVerdicts = new WeakMap<DocumentNode, GraphQLError | null>();

/**
 * Refuses, before execution (so before coercion, resolvers and SQL), input no field can accept: NUL
 * and lone surrogates in strings, non-finite numbers (a literal `1e400` parses to Infinity), dates
 * outside years 1–9999. One layer for every argument, answered 400 BAD_USER_INPUT with `field`.
 */
export function inputSanityPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const err = unstorableInput(schema, document, operation, request.variables ?? {});
          if (err) throw err;
        },
      };
    },
  };
}
