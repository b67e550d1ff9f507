import { macSql, plainDigestSql, type Keyring } from './pseudonyms';

/** A customer's contact columns: the address a channel reaches them at. */
export type ContactColumn = 'email' | 'phone';

/**
 * Binds a value into a statement and answers its placeholder: `?` for a statement sent with bind
 * parameters (executeBound, the read planner's fragments; NOT MikroORM's em.execute, which writes the
 * values into the text), or an escaped literal where a statement takes no parameters (COPY: the CLI
 * export only). The values bound here include the keyring's HMAC pads, which are the key (any digest can
 * be computed from them). A statement's text is what pg_stat_activity shows and what PostgreSQL writes to
 * its log with an error (log_min_error_statement: a statement cancelled by DB_STATEMENT_TIMEOUT_MS);
 * bind parameters appear in neither (log_parameter_max_length_on_error is 0 by default). So every
 * statement that can take parameters binds them.
 */
export type Bind = (value: string) => string;

/** `bind` for statements without parameters (COPY), for values that may appear in its text: validated uuids and enum values, escaped all the same. */
export const literal: Bind = (v) => `'${v.replace(/'/g, "''")}'`;

/** `bind` for a statement sent with bind parameters (executeBound, the read planner's fragments): `?`, the values in `params`, in order. */
export function paramsBind(): { bind: Bind; params: string[] } {
  const params: string[] = [];
  return { bind: (v) => (params.push(v), '?'), params };
}

/**
 * `bind` for a statement that takes no parameters (COPY) and values that must stay out of its text (the
 * keyring's HMAC pads): each value goes into a transaction-local setting, sent as a bind parameter before
 * the statement (`settings`: run `select set_config(name, value, true)` for each in the same transaction),
 * and the statement reads it back in an uncorrelated subquery, evaluated once per statement.
 */
export function settingsBind(prefix: string): { bind: Bind; settings: Array<[name: string, value: string]> } {
  const settings: Array<[string, string]> = [];
  const bind: Bind = (v) => {
    const name = `${prefix}_${settings.length}`;
    settings.push([name, v]);
    return `(select current_setting('${name}'))`;
  };
  return { bind, settings };
}

/** A digest's HMAC under every key of the ring, as SQL (each key's pads bound where they appear). */
export function macsSql(keyring: Keyring, bind: Bind, digestSql: string): string[] {
  return keyring.keys.map((k) => {
    const { opad, ipad } = keyring.sqlPads(k);
    return macSql(bind(opad), bind(ipad), digestSql);
  });
}

/**
 * SQL, true when the contact address in `alias`.`contact` (a customers row) is the customer's own to be
 * reached at: not an identifier another profile holds, and not on the suppression list (an erased
 * person's, matched under every key of the ring). A customer writing their own profile may not learn
 * whose an identifier is, so an address another profile holds is stored as their contact field as
 * stated (neither linked nor refused: ingestion rules `revealOwners`), and an erased person's address
 * written before the erasure stays on such a profile the same way. A send to it would reach that other
 * person under this one's consent: the exports leave such members out, and a marketing or partner read
 * of the field is refused (OWN_CONTACT_FIELDS in policy.ts). True when the column is null.
 *
 * As two NOT EXISTS, which PostgreSQL plans as anti-joins (the identities' unique (kind, namespace, value)
 * index, the suppression list's primary key). The address is compared as an identifier of its kind
 * with no namespace: both are stored normalised, as identities are.
 */
export function ownContactSql(contact: ContactColumn, alias: string, keyring: Keyring, bind: Bind): string {
  const macs = macsSql(keyring, bind, plainDigestSql(`'${contact}'`, `''`, `${alias}.${contact}`));
  return `(not exists (select 1 from identities o where o.kind = '${contact}' and o.namespace = '' and o.value = ${alias}.${contact} and o.customer_id <> ${alias}.id)
      and not exists (select 1 from suppressed_identifiers s where s.digest in (${macs.join(', ')})))`;
}
