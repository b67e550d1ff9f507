import fc from 'fast-check';
import {
  getNamedType, getNullableType, isAbstractType, isEnumType, isInputObjectType, isListType, isNonNullType, isObjectType, isScalarType,
  type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLSchema,
} from 'graphql';

/**
 * Random valid queries over the served schema's type graph, for fast-check: nested selections of
 * random fields (any field of any type the root reaches, so fields added later are drawn too),
 * aliases, inline and named fragments, and the arguments a field's type allows (small page sizes,
 * enum values; required arguments of input-object type make a field undrawable). Depth-limited.
 */
export interface Generated {
  selection: string;
  fragments: string[];
}

const hash = (s: string) => {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
};

/** Instants around the fixtures' orders and interactions (2026-01 to 2026-03, and the run's own time). */
const INSTANTS = ['"2026-02-01T00:00:00.000Z"', '"2026-03-01T00:00:00.000Z"', '"2027-01-01T00:00:00.000Z"'];

export function argArb(name: string, type: GraphQLInputType, depth = 2): fc.Arbitrary<string | null> | null {
  const required = isNonNullType(type);
  const t = getNullableType(type);
  let value: fc.Arbitrary<string> | null = null;
  if (isListType(t)) {
    const inner = getNamedType(t);
    if (isEnumType(inner)) value = fc.subarray(inner.getValues().map((v) => v.name), { maxLength: Math.min(2, inner.getValues().length) }).map((vs) => `[${vs.join(', ')}]`);
  } else if (isEnumType(t)) value = fc.constantFrom(...t.getValues().map((v) => v.name));
  else if (isInputObjectType(t) && depth > 0) {
    // Filters and orderings: a random subset of the input's fields (any field added to it later too).
    const fields = Object.values(t.getFields()).map((f) => [f.name, argArb(f.name, f.type, depth - 1)] as const);
    if (fields.every(([, a]) => a)) {
      value = fc.tuple(...fields.map(([n, a]) => a!.map((v) => (v === null ? null : `${n}: ${v}`)))).map((vs) => `{ ${vs.filter((v) => v !== null).join(', ')} }`);
    }
  } else if (isScalarType(t)) {
    if (t.name === 'Int' || /Int$/.test(t.name)) value = fc.integer({ min: name === 'first' ? 0 : 1, max: 3 }).map(String);
    else if (t.name === 'Float') value = fc.constantFrom('0.5', '100');
    else if (t.name === 'Boolean') value = fc.boolean().map(String);
    else if (t.name === 'DateTime') value = fc.constantFrom(...INSTANTS);
    else if ((t.name === 'String' || t.name === 'ID') && !required) value = fc.constantFrom('"x"', '"not-a-cursor"', '"spring"');
  }
  if (required) return value;
  // Optional: mostly left out (the field's default), sometimes given.
  return value ? fc.option(value, { freq: 2 }) : fc.constant(null);
}

/**
 * `roots`: the root fields to draw under (the read planner's, PLANNED_ROOTS), each with arguments drawn
 * like any field's, except `id`, which is the query's `$id`.
 */
export function queryArbitrary(schema: GraphQLSchema, rootNames: readonly string[], maxDepth = 4): fc.Arbitrary<{ query: string; roots: string[] }> {
  const memo = new Map<string, fc.Arbitrary<Generated>>();

  const fieldArb = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, depth: number): fc.Arbitrary<Generated> | null => {
    const args: Array<fc.Arbitrary<string | null>> = [];
    for (const a of field.args) {
      const arb = argArb(a.name, a.type);
      if (!arb) return null;
      args.push(arb.map((v) => (v === null ? null : `${a.name}: ${v}`)));
    }
    const named = getNamedType(field.type);
    const sub = isScalarType(named) || isEnumType(named) ? null : selectionArb(named, depth - 1);
    return fc.tuple(fc.tuple(...args), fc.option(fc.constant(`${field.name}_${parent.name.length % 7}`), { freq: 4 }), sub ?? fc.constant(null)).map(([as, alias, s]) => {
      const given = as.filter((x): x is string => x !== null);
      const head = `${alias ? `${alias}: ` : ''}${field.name}${given.length ? `(${given.join(', ')})` : ''}`;
      return s ? { selection: `${head} { ${s.selection} }`, fragments: s.fragments } : { selection: head, fragments: [] };
    });
  };

  const objectSelection = (type: GraphQLObjectType, depth: number): fc.Arbitrary<Generated> => {
    const fields = Object.values(type.getFields()).filter((f) => {
      if (f.name.startsWith('__')) return false;
      const named = getNamedType(f.type);
      return depth > 0 || isScalarType(named) || isEnumType(named);
    });
    const arbs = fields.map((f) => fieldArb(type, f, depth)).filter((a): a is fc.Arbitrary<Generated> => !!a);
    const plain: fc.Arbitrary<Generated> = arbs.length
      ? fc.subarray(arbs.map((_, i) => i), { minLength: 1, maxLength: Math.min(3, arbs.length) }).chain((idx) => fc.tuple(...idx.map((i) => arbs[i]))).map((parts) => ({
        selection: parts.map((p) => p.selection).join(' '), fragments: parts.flatMap((p) => p.fragments),
      }))
      : fc.constant({ selection: '__typename', fragments: [] });
    return fc.tuple(plain, fc.constantFrom('plain', 'plain', 'inline', 'named', 'typename')).map(([g, how]) => {
      if (how === 'inline') return { selection: `... on ${type.name} { ${g.selection} }`, fragments: g.fragments };
      if (how === 'named') {
        const name = `F${type.name}_${hash(g.selection)}`;
        return { selection: `...${name}`, fragments: [...g.fragments, `fragment ${name} on ${type.name} { ${g.selection} }`] };
      }
      if (how === 'typename') return { selection: `__typename ${g.selection}`, fragments: g.fragments };
      return g;
    });
  };

  const selectionArb = (type: GraphQLNamedType, depth: number): fc.Arbitrary<Generated> => {
    const k = `${type.name}@${depth}`;
    let arb = memo.get(k);
    if (arb) return arb;
    // Recursion through fc.constant(null).chain: built when drawn, so the graph's cycles are fine.
    arb = fc.constant(null).chain(() => {
      if (isObjectType(type)) return objectSelection(type, depth);
      if (isAbstractType(type)) {
        const possible = schema.getPossibleTypes(type);
        return fc.subarray([...possible], { minLength: 1, maxLength: Math.min(2, possible.length) }).chain((ts) => fc.tuple(...ts.map((t) => objectSelection(t, depth)))).map((parts) => ({ selection: `__typename ${parts.map((p) => p.selection).join(' ')}`, fragments: parts.flatMap((p) => p.fragments) }));
      }
      return fc.constant({ selection: '__typename', fragments: [] });
    });
    memo.set(k, arb);
    return arb;
  };

  const query = schema.getQueryType()!;
  const roots: Array<[string, fc.Arbitrary<string>]> = rootNames.map((name) => {
    const field = query.getFields()[name];
    if (!field) throw new Error(`no root field ${name}`);
    const args = field.args.map((a) => (a.name === 'id' ? fc.constant('id: $id') : (argArb(a.name, a.type) ?? fc.constant(null)).map((v) => (v === null ? null : `${a.name}: ${v}`))));
    return [name, fc.tuple(...args).map((as) => {
      const given = as.filter((x): x is string => x !== null);
      return `${name}${given.length ? `(${given.join(', ')})` : ''}`;
    })];
  });
  const rootArb = fc.constantFrom(...roots).chain(([name, head]) =>
    fc.tuple(head, selectionArb(getNamedType(query.getFields()[name].type), maxDepth - 1)).map(([h, s]) => ({ name, text: `${h} { ${s.selection} }`, fragments: s.fragments })));
  // One root field per query: with two, which root's failure graphql-js reports first (when one nulls
  // `data`) is timing, whichever path answers.
  return fc.array(rootArb, { minLength: 1, maxLength: 1 }).map((rs) => {
    const fragments = [...new Set(rs.flatMap((r) => r.fragments))];
    const byName = new Map<string, string>();
    for (const f of fragments) byName.set(f.split(' ')[1], f);
    return {
      query: `query Generated${rs.some((r) => r.text.includes('$id')) ? '($id: ID!)' : ''} { ${rs.map((r, i) => `r${i}: ${r.text}`).join(' ')} }\n${[...byName.values()].join('\n')}`,
      roots: rs.map((r) => r.name),
    };
  });
}
