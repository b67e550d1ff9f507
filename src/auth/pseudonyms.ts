import { createHash, createHmac } from 'node:crypto';

/**
 * Keyed pseudonyms (HMAC-SHA256 with server secrets, PSEUDONYM_KEYS): the digests of an erased
 * customer's identifiers (suppression list) and the audit log's actor. An unkeyed hash of an e-mail
 * or a phone number is reversed by trying every candidate; without the key nobody can try.
 *
 * Rotation: the keys are a list, newest first. New values are written with the newest key; a digest
 * matches when it is the HMAC under any key of the list, so an older key keeps blocking what it
 * suppressed for as long as it stays listed (README "Configuration").
 */

/** Development and tests only: lets the server start without configuration. Refused in production. */
export const DEV_PSEUDONYM_KEY = 'rapport-development-pseudonym-key-do-not-use-in-production';

export interface PseudonymKey {
  /** Short public name of the key, stored beside what it made (which key to keep, how many rows use it). */
  id: string;
  secret: Buffer;
}

/** HMAC-SHA256's block: longer keys are hashed first (RFC 2104), as createHmac does. */
const BLOCK = 64;

export class Keyring {
  /** Newest first. */
  readonly keys: readonly PseudonymKey[];

  constructor(secrets: readonly string[]) {
    if (!secrets.length) throw new Error('a keyring needs at least one key');
    this.keys = secrets.map((s) => ({ id: createHash('sha256').update(`rapport-key-id:${s}`).digest('hex').slice(0, 12), secret: Buffer.from(s, 'utf8') }));
  }

  get newest(): PseudonymKey {
    return this.keys[0];
  }

  mac(key: PseudonymKey, text: string): string {
    return createHmac('sha256', key.secret).update(text, 'utf8').digest('hex');
  }

  /**
   * What an identifier is suppressed under, with the newest key. The HMAC is taken over the
   * identifier's SHA-256 rather than the identifier itself so that digests written before keys
   * existed (plain SHA-256) can be converted without knowing the identifier (`legacyUpgradeSql`).
   */
  identifierDigest(i: { kind: string; namespace: string; value: string }): { digest: string; keyId: string } {
    return { digest: this.mac(this.newest, plainDigest(i)), keyId: this.newest.id };
  }

  /** The identifier's digest under every key of the list: what a lookup matches. */
  identifierDigests(i: { kind: string; namespace: string; value: string }): string[] {
    const plain = plainDigest(i);
    return this.keys.map((k) => this.mac(k, plain));
  }

  /** Actors already computed, by subject: the same staff member sends request after request (an HMAC each). */
  private readonly actors = new Map<string, string>();

  /** A token subject (often an e-mail address) as the audit log records it. */
  actor(subject: string): string {
    let actor = this.actors.get(subject);
    if (actor === undefined) {
      actor = `sub:${this.mac(this.newest, `audit-actor:${subject}`).slice(0, 32)}`;
      if (this.actors.size >= 10_000) this.actors.clear();
      this.actors.set(subject, actor);
    }
    return actor;
  }

  /**
   * The key's two HMAC pads (hex), for set-based statements: PostgreSQL has SHA-256 but no HMAC
   * without pgcrypto, and HMAC is sha256(K^opad || sha256(K^ipad || m)) (see `macSql`).
   */
  sqlPads(key: PseudonymKey): { opad: string; ipad: string } {
    const k = Buffer.alloc(BLOCK);
    (key.secret.length > BLOCK ? createHash('sha256').update(key.secret).digest() : key.secret).copy(k);
    const pad = (byte: number) => Buffer.from(k.map((b) => b ^ byte)).toString('hex');
    return { opad: pad(0x5c), ipad: pad(0x36) };
  }
}

/** HMAC-SHA256 (hex) in SQL: `opad`/`ipad` are placeholders bound to `sqlPads`, `message` a bytea expression. */
export const macSql = (opad: string, ipad: string, message: string) =>
  `encode(sha256(decode(${opad}, 'hex') || sha256(decode(${ipad}, 'hex') || ${message})), 'hex')`;

/** SHA-256 (hex) of "kind:namespace:value": the digest before keys, and the message the HMAC is taken over. */
export function plainDigest(i: { kind: string; namespace: string; value: string }): string {
  return createHash('sha256').update(`${i.kind}:${i.namespace}:${i.value}`, 'utf8').digest('hex');
}

/** The same, as SQL over text expressions (the import resolves identifiers in SQL). */
export const plainDigestSql = (kind: string, namespace: string, value: string) =>
  `convert_to(encode(sha256(convert_to(${kind} || ':' || ${namespace} || ':' || ${value}, 'UTF8')), 'hex'), 'UTF8')`;

/**
 * PSEUDONYM_KEYS: secrets of at least 32 visible characters, separated by commas or spaces, newest
 * first. Unset: a fixed development key, except in production, where it is required.
 */
export function parsePseudonymKeys(raw: string | undefined, production: boolean): string[] {
  if (raw === undefined || raw.trim() === '') {
    if (production) throw new Error('set PSEUDONYM_KEYS in production (README "Configuration")');
    return [DEV_PSEUDONYM_KEY];
  }
  const keys = raw.split(/[\s,]+/).filter(Boolean);
  for (const k of keys) {
    if (!/^[\x21-\x7e]{32,512}$/.test(k) || k.includes(',')) throw new Error('PSEUDONYM_KEYS: each key must be 32 to 512 visible ASCII characters, keys separated by commas or spaces');
  }
  if (new Set(keys).size !== keys.length) throw new Error('PSEUDONYM_KEYS lists a key twice');
  if (production && keys.includes(DEV_PSEUDONYM_KEY)) throw new Error('PSEUDONYM_KEYS: the development key may not be used in production');
  return keys;
}

let envKeyring: Keyring | undefined;
/** The keyring of the environment, for callers not handed the server's (CLI tools, services called directly). */
export function defaultKeyring(): Keyring {
  envKeyring ??= new Keyring(parsePseudonymKeys(process.env.PSEUDONYM_KEYS, process.env.NODE_ENV === 'production'));
  return envKeyring;
}
