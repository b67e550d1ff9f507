/** A fragment of SQL with `?` placeholders and its bind parameters, in text order. */
export interface Sql {
  text: string;
  params: unknown[];
}

/** `sql\`… ${fragment or value} …\``: fragments are spliced in, anything else becomes a `?` parameter. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  let text = strings[0];
  const params: unknown[] = [];
  values.forEach((v, i) => {
    if (isSql(v)) {
      text += v.text;
      params.push(...v.params);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1];
  });
  return { text, params };
}

export function isSql(v: unknown): v is Sql {
  return !!v && typeof v === 'object' && typeof (v as Sql).text === 'string' && Array.isArray((v as Sql).params);
}

/** Trusted SQL text (identifiers from the ORM's metadata, fixed keywords): no parameters. */
export const raw = (text: string): Sql => ({ text, params: [] });

export function join(parts: Sql[], sep: string): Sql {
  return { text: parts.map((p) => p.text).join(sep), params: parts.flatMap((p) => p.params) };
}

/** A string literal for keys inside jsonb_build_object: response keys are GraphQL names, checked here. */
export function key(name: string): Sql {
  if (!/^[_A-Za-z][_0-9A-Za-z|]*$/.test(name)) throw new Error(`not a plain key: ${name}`);
  return raw(`'${name}'`);
}

/** An identifier from the ORM's metadata (table and column names), quoted. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
