import { isEnumType, isInputObjectType, isInterfaceType, isIntrospectionType, isObjectType, isSpecifiedScalarType, type GraphQLSchema } from 'graphql';
import { descriptions, patternDescription } from './descriptions';

/** One schema element that can carry a description, with its key in `descriptions`. */
export interface Describable {
  key: string;
  description: string | null | undefined;
  set(text: string): void;
  /** For fields: whether their type implements Node (so its id is accepted by `node(id)`). */
  ofNode?: boolean;
}

/**
 * Every type, field, argument, input field and enum value of the schema, keyed as in
 * src/schema/descriptions.ts: `Type`, `Type.field`, `Type.field(arg)`, `Enum.VALUE`.
 */
export function describables(schema: GraphQLSchema): Describable[] {
  const out: Describable[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    out.push({ key: type.name, description: type.description, set: (t) => { type.description = t; } });
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      const ofNode = (isObjectType(type) || isInterfaceType(type)) && type.getInterfaces().some((i) => i.name === 'Node');
      for (const field of Object.values(type.getFields())) {
        out.push({ key: `${type.name}.${field.name}`, description: field.description, set: (t) => { field.description = t; }, ofNode });
        for (const arg of 'args' in field ? field.args : []) {
          out.push({ key: `${type.name}.${field.name}(${arg.name})`, description: arg.description, set: (t) => { arg.description = t; } });
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) out.push({ key: `${type.name}.${value.name}`, description: value.description, set: (t) => { value.description = t; } });
    }
  }
  return out;
}

/**
 * Fills in every description the code left out, from the one table in descriptions.ts (then from the
 * patterns shared by all connections, edges and paging arguments). A description written in the code
 * wins: the table only fills gaps, so branches that add decorator descriptions never conflict with it.
 */
export function applyDescriptions(schema: GraphQLSchema, table: Record<string, string> = descriptions): GraphQLSchema {
  for (const item of describables(schema)) {
    if (item.description) continue;
    const text = table[item.key] ?? patternDescription(item.key, item.ofNode);
    if (text) item.set(text);
  }
  return schema;
}
