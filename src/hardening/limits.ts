import {
  GraphQLError, Kind, SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef, getNamedType, isInterfaceType, isObjectType, valueFromASTUntyped,
  type ASTVisitor, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule,
} from 'graphql';

/**
 * Static limits on a GraphQL document, each a graphql-js validation rule (so Apollo answers a
 * breach with HTTP 400 and `GRAPHQL_VALIDATION_FAILED`, and caches the verdict with the document).
 * Every figure is measured over the operation with its fragments expanded (a fragment spread twice
 * counts twice), so fragments cannot be used to hide depth, aliases or directives.
 */

export type LimitName = 'depth' | 'aliases' | 'directives' | 'cost';

export function limitError(limit: LimitName, actual: number, max: number, node: OperationDefinitionNode | undefined, message: string): GraphQLError {
  return new GraphQLError(message, { nodes: node ? [node] : undefined, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, max, actual } });
}

/** Sums a per-selection-set measure over an operation, expanding fragments (memoised, cycle-safe). */
function measure(
  fragments: Map<string, FragmentDefinitionNode>,
  selectionSet: SelectionSetNode,
  combine: 'sum' | 'max',
  fieldValue: (field: FieldNode, childValue: number) => number,
  ownValue: (node: { directives?: readonly unknown[] }) => number = () => 0,
): number {
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();
  const visit = (set: SelectionSetNode): number => {
    let acc = 0;
    for (const sel of set.selections) {
      let v: number;
      if (sel.kind === Kind.FIELD) {
        v = fieldValue(sel, sel.selectionSet ? visit(sel.selectionSet) : 0) + ownValue(sel);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        v = visit(sel.selectionSet) + ownValue(sel);
      } else {
        const name = sel.name.value;
        let f = memo.get(name);
        if (f === undefined) {
          const def = fragments.get(name);
          // An unknown or cyclic fragment is reported by graphql-js' own rules; count it as nothing here.
          if (!def || inProgress.has(name)) f = 0;
          else {
            inProgress.add(name);
            f = visit(def.selectionSet) + ownValue(def);
            inProgress.delete(name);
            memo.set(name, f);
          }
        }
        v = f + ownValue(sel);
      }
      acc = combine === 'sum' ? acc + v : Math.max(acc, v);
    }
    return acc;
  };
  return visit(selectionSet);
}

function fragmentsOf(doc: DocumentNode): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) map.set(d.name.value, d);
  return map;
}

/** Deepest field nesting: `{ a { b } }` is 2. */
export function operationDepth(doc: DocumentNode, op: OperationDefinitionNode): number {
  return measure(fragmentsOf(doc), op.selectionSet, 'max', (_f, child) => 1 + child);
}

/** Fields with an alias, fragments expanded. */
export function operationAliases(doc: DocumentNode, op: OperationDefinitionNode): number {
  return measure(fragmentsOf(doc), op.selectionSet, 'sum', (f, child) => (f.alias ? 1 : 0) + child);
}

/** Directive uses (on the operation, its fields, fragments and spreads), fragments expanded. */
export function operationDirectives(doc: DocumentNode, op: OperationDefinitionNode): number {
  const own = (n: { directives?: readonly unknown[] }) => n.directives?.length ?? 0;
  return (op.directives?.length ?? 0) + measure(fragmentsOf(doc), op.selectionSet, 'sum', (_f, child) => child, own);
}

function perOperationRule(limit: LimitName, max: number, count: (doc: DocumentNode, op: OperationDefinitionNode) => number, describe: (n: number) => string): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(op) {
      const n = count(context.getDocument(), op);
      if (n > max) context.reportError(limitError(limit, n, max, op, describe(n)));
    },
  });
}

export function maxDepthRule(max: number): ValidationRule {
  return perOperationRule('depth', max, operationDepth, (n) => `the operation is nested ${n} levels deep; the limit is ${max}`);
}

export function maxAliasesRule(max: number): ValidationRule {
  return perOperationRule('aliases', max, operationAliases, (n) => `the operation uses ${n} aliases; the limit is ${max}`);
}

export function maxDirectivesRule(max: number): ValidationRule {
  return perOperationRule('directives', max, operationDirectives, (n) => `the operation uses ${n} directives; the limit is ${max}`);
}

/** `first` when a connection field does not say, and its argument has no default. */
export const DEFAULT_CONNECTION_SIZE = 20;

function isConnection(type: GraphQLNamedType): boolean {
  return isObjectType(type) && type.name.endsWith('Connection') && ('edges' in type.getFields() || 'nodes' in type.getFields());
}

function fieldDef(schema: GraphQLSchema, parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (parent && parent === schema.getQueryType()) {
    if (name === '__schema') return SchemaMetaFieldDef;
    if (name === '__type') return TypeMetaFieldDef;
  }
  return parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
}

/**
 * The page size a connection field will return: its `first` argument (a literal, or a variable's
 * value, or that variable's default), else the argument's schema default, else 20; at most
 * `maxPageSize` (a larger `first` is refused by the resolver with BAD_USER_INPUT, never served).
 */
function pageSize(field: FieldNode, def: GraphQLField<unknown, unknown> | undefined, op: OperationDefinitionNode, variables: Record<string, unknown>, maxPageSize: number): number {
  const arg = field.arguments?.find((a) => a.name.value === 'first');
  let value: unknown;
  if (arg) {
    if (arg.value.kind === Kind.VARIABLE) {
      const name = arg.value.name.value;
      if (variables[name] !== undefined) value = variables[name];
      else {
        const declared = op.variableDefinitions?.find((v) => v.variable.name.value === name)?.defaultValue;
        if (declared) value = valueFromASTUntyped(declared);
      }
    } else {
      value = valueFromASTUntyped(arg.value);
    }
  }
  if (value === undefined || value === null) value = def?.args.find((a) => a.name === 'first')?.defaultValue;
  const n = typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value) : DEFAULT_CONNECTION_SIZE;
  return Math.min(n, maxPageSize);
}

/**
 * Static cost of an operation: every field costs 1; a connection field (a `…Connection` type)
 * multiplies the cost of its selection by the page size it asks for (`first`, default: the
 * argument's default, else 20; capped at MAX_PAGE_SIZE, past which the resolver refuses it). Inline fragments and fragments on different types add up (an upper
 * bound). Needs the variables, so it runs per request (see `costLimitPlugin`), not as a cached rule.
 */
export function operationCost(schema: GraphQLSchema, doc: DocumentNode, op: OperationDefinitionNode, variables: Record<string, unknown> = {}, maxPageSize = Number.MAX_SAFE_INTEGER): number {
  const fragments = fragmentsOf(doc);
  const memo = new Map<string, number>();
  const inProgress = new Set<string>();
  const visit = (parent: GraphQLNamedType | undefined, set: SelectionSetNode): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const def = fieldDef(schema, parent, sel.name.value);
        const type = def ? getNamedType(def.type) : undefined;
        const child = sel.selectionSet ? visit(type, sel.selectionSet) : 0;
        const multiplier = type && isConnection(type) ? pageSize(sel, def, op, variables, maxPageSize) : 1;
        total += 1 + multiplier * child;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        total += visit(sel.typeCondition ? schema.getType(sel.typeCondition.name.value) ?? undefined : parent, sel.selectionSet);
      } else {
        const name = sel.name.value;
        let f = memo.get(name);
        if (f === undefined) {
          const def = fragments.get(name);
          if (!def || inProgress.has(name)) f = 0;
          else {
            inProgress.add(name);
            f = visit(schema.getType(def.typeCondition.name.value) ?? undefined, def.selectionSet);
            inProgress.delete(name);
            memo.set(name, f);
          }
        }
        total += f;
      }
    }
    return total;
  };
  const root = op.operation === 'query' ? schema.getQueryType() : op.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return visit(root ?? undefined, op.selectionSet);
}
