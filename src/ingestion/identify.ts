import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer, CustomerMerge, Identity } from '../entities';
import type { FieldProvenanceMap, PostalAddress } from '../entities/customer.entity';
import { isBlocklisted, parseMergePolicy, type MergePolicy } from '../services/merge-policy';
import { checkIdentityLimits, mergeCustomers } from '../services/merge.service';
import { CustomerStatus, IdentityKind } from '../entities/enums';
import { DomainError, ErrorCode, badInput, conflict } from '../errors/domain-error';
import { normalizeEmail, normalizeIdentifier, normalizePhone } from '../services/identity-normalizer';
import { checkJsonSize, checkLocale, cleanText } from '../services/validation';
import { textArray, uuidArray } from '../services/pagination';
import { defaultKeyring, type Keyring } from '../auth/pseudonyms';
import { toGlobalId } from '../schema/global-id';
import { requireActiveCustomer, type WriteAudit } from '../services/customer.service';

/**
 * The ingestion core's identity step for one write (README "One ingestion pipeline"): identifiers
 * normalised, junk dropped, suppressed refused, matched to customers, merged by the merge policy under
 * row locks, survivorship and provenance applied to the profile. The batch core (core.ts) calls it
 * for IDENTIFY events and for activity events whose identifiers it cannot settle set-based.
 */

export interface IdentifierInput {
  kind: IdentityKind;
  namespace?: string | null;
  value: string;
}

export interface UpsertCustomerData {
  id?: string;
  identities?: IdentifierInput[] | null;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  birthDate?: string | null;
  locale?: string | null;
  address?: PostalAddress | null;
  traits?: Record<string, unknown> | null;
  source?: string | null;
}

const identityKey = (i: { kind: string; namespace: string; value: string }) => `identity:${i.kind}:${i.namespace}:${i.value}`;

export interface UpsertOptions {
  /** The merge policy in force (the server passes `config.mergePolicy`); default: MERGE_POLICY of the environment. */
  policy?: MergePolicy;
  /** False refuses a write that would merge two profiles (self-service: a customer may not absorb someone else's profile). */
  allowMerge?: boolean;
  /**
   * False for a caller who may not look customers up by identifier (rules.ts `revealOwners`:
   * a customer editing their own profile, a partner key). With an `id`, identifiers another customer
   * holds are then neither linked, merged nor reported, so the answer is the same whether anyone else
   * holds them or not; the profile's own email/phone still say what the caller stated. Without an id,
   * the profile holding the write's first held identifier is the one named, and the same applies to
   * identifiers other profiles hold. Default true.
   */
  revealOwners?: boolean;
  /** The server's PSEUDONYM_KEYS (suppressed identifiers are matched under each); default: the environment's. */
  keyring?: Keyring;
}

/** An identifier the write carried but that was not stored nor matched: a junk value on the policy's blocklist. */
export interface IgnoredIdentifier {
  kind: IdentityKind;
  namespace: string;
  reason: 'BLOCKLISTED';
}

export interface UpsertCustomerResult {
  customer: Customer;
  created: boolean;
  /** Profiles this write merged into `customer` (automatic merges), as database ids. */
  mergedIds: string[];
  merges: CustomerMerge[];
  ignored: IgnoredIdentifier[];
}

let envPolicy: MergePolicy | undefined;
export function defaultPolicy(): MergePolicy {
  envPolicy ??= parseMergePolicy(process.env.MERGE_POLICY);
  return envPolicy;
}

/** Junk check before normalising, so that a junk phone such as +10000000000 is ignored, not a bad input. */
export function blocklistedRaw(policy: MergePolicy, kind: IdentityKind, raw: string): boolean {
  if (kind === IdentityKind.PHONE) return isBlocklisted(policy, kind, raw.replace(/[^\d+]/g, ''));
  return isBlocklisted(policy, kind, raw);
}

/**
 * The identifiers of a write, normalised, without the junk values of the policy's blocklist (checked
 * before normalising, so a junk phone is ignored rather than a bad input, and after); each junk one
 * is reported to `onJunk`. `field` names the list in error messages.
 */
export function usableIdentifiers(
  policy: MergePolicy, list: IdentifierInput[], field: string, onJunk: (kind: IdentityKind, namespace: string) => void,
): Array<{ kind: IdentityKind; namespace: string; value: string }> {
  const junk = (kind: IdentityKind, value: string, namespace: string) => {
    if (!blocklistedRaw(policy, kind, value)) return false;
    onJunk(kind, namespace);
    return true;
  };
  return list
    .filter((i) => !junk(i.kind, i.value, i.namespace ?? ''))
    .map((i, n) => normalizeIdentifier(i.kind, i.value, i.namespace ?? '', `${field}[${n}].value`))
    .filter((i) => !junk(i.kind, i.value, i.namespace));
}

/** Provenance keys of the profile fields a write may set (traits are recorded per key). */
const PROVENANCE_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'birthDate', 'locale', 'address'] as const;

/**
 * Creates or updates a customer found by id or by any of its identifiers. When the identifiers belong
 * to several customers, they are merged into the oldest (README "Identity resolution and merges") if
 * the merge policy allows it, else the write is a CONFLICT saying why. The core's identity step for one
 * event, in a savepoint of the core's batch transaction: every path reaches it through the core
 * (upsertCustomer is an IDENTIFY batch of one), never directly.
 */
export async function upsertCustomer(em: EntityManager, data: UpsertCustomerData, audit?: WriteAudit, options: UpsertOptions = {}): Promise<UpsertCustomerResult> {
  const policy = options.policy ?? defaultPolicy();
  const source = cleanText(data.source, 'source', 64) ?? 'api';
  const ignored: IgnoredIdentifier[] = [];
  const junk = (kind: IdentityKind, raw: string | null | undefined, namespace = '') => {
    if (raw == null || !blocklistedRaw(policy, kind, raw)) return false;
    ignored.push({ kind, namespace, reason: 'BLOCKLISTED' });
    return true;
  };
  // A junk email or phone is neither an identity nor the profile's contact value: it is dropped and reported.
  let email = data.email == null || junk(IdentityKind.EMAIL, data.email) ? (data.email == null ? data.email : undefined) : normalizeEmail(data.email);
  let phone = data.phone == null || junk(IdentityKind.PHONE, data.phone) ? (data.phone == null ? data.phone : undefined) : normalizePhone(data.phone);
  if (email && junk(IdentityKind.EMAIL, email)) email = undefined;
  if (phone && junk(IdentityKind.PHONE, phone)) phone = undefined;
  const locale = checkLocale(data.locale);
  checkJsonSize(data.traits, 'traits');
  if (data.birthDate != null) {
    const d = new Date(`${data.birthDate}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.getTime() > Date.now() || d.getUTCFullYear() < 1900) throw badInput('birthDate must be a past date after 1900', 'birthDate');
  }
  const identifiers = usableIdentifiers(policy, data.identities ?? [], 'identities', (kind, namespace) => ignored.push({ kind, namespace, reason: 'BLOCKLISTED' }));
  if (email) identifiers.push({ kind: IdentityKind.EMAIL, namespace: '', value: email });
  if (phone) identifiers.push({ kind: IdentityKind.PHONE, namespace: '', value: phone });
  const uniqueIdentifiers = [...new Map(identifiers.map((i) => [identityKey(i), i])).values()];
  if (!data.id && uniqueIdentifiers.length === 0) {
    if (ignored.length) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, `every identifier given is a junk value on the merge policy's blocklist (${ignored.map((i) => i.kind).join(', ')}); give a real email, phone or identity`, {
        field: 'identities', reason: 'BLOCKLISTED',
      });
    }
    throw badInput('give an id, an email, a phone or at least one identity so the customer can be recognised later', 'identities');
  }

  return em.transactional(async (tem) => {
    // No per-identifier locks: a batch would hold thousands (max_locks_per_transaction). The unique
    // index of identities decides between concurrent writers; the core starts the loser's batch over.
    // Identifiers of erased customers (suppressed): never linked, and never the makings of a new profile.
    // A caller who may not learn whose an identifier is (self-service, a profiles:write key) is not told
    // either, where the write goes to an existing profile: such an identifier is then treated as one another
    // profile holds (neither linked nor reported; a contact field keeps it as stated, withheld from
    // marketing and partners and left out of exports: src/auth/own-contact.ts). A write that would create
    // a profile is refused, for everyone.
    const suppressedSet = await suppressedDigests(tem, options.keyring ?? defaultKeyring(), uniqueIdentifiers);
    const suppressed = uniqueIdentifiers.find((i) => suppressedSet.has(i));
    const refuseSuppressed = (i: IdentifierInput) =>
      conflict(`identifier ${i.kind} belongs to an erased customer and may not be used to re-create them`, { field: 'identities', kind: i.kind, reason: 'SUPPRESSED' });
    if (suppressed && options.revealOwners !== false) throw refuseSuppressed(suppressed);
    const existing = uniqueIdentifiers.length
      ? await tem.find(Identity, {
          $or: uniqueIdentifiers.map((i) => ({ kind: i.kind, namespace: i.namespace, value: i.value })),
        })
      : [];
    if (data.id) await requireActiveCustomer(tem, data.id, 'id');
    // Identifiers held by others count only for a caller who may know whose they are (see revealOwners).
    let matched = options.revealOwners === false && data.id ? existing.filter((i) => i.customer.id === data.id) : existing;

    // Who the write names, as they are now: row locks serialise this with merges of the same profiles,
    // and a profile merged meanwhile is followed to its survivor.
    const named = [...new Set([...(data.id ? [data.id] : []), ...matched.map((i) => i.customer.id)])];
    const resolved = await resolveOwners(tem, named);
    let owners = [...new Set(named.map((id) => resolved.get(id)!.id))];
    if (owners.length > 1 && options.revealOwners === false && !data.id) {
      // A caller who may link but not know whose an identifier is (a first-party source's key): the write
      // names the profile holding its first identifier that is held (the sender's strongest: Segment's
      // userId before email, phone and anonymousId). Identifiers other profiles hold are then neither
      // linked, merged nor reported, as for a write by id above: a CONFLICT here would tell the caller
      // that someone else holds one of them.
      const ownerOf = new Map(matched.map((i) => [identityKey(i), resolved.get(i.customer.id)!.id]));
      const anchor = uniqueIdentifiers.map((i) => ownerOf.get(identityKey(i))).find((o): o is string => !!o)!;
      matched = matched.filter((i) => resolved.get(i.customer.id)!.id === anchor);
      owners = [anchor];
    }
    // Without an id the write names the profile of its strongest identifier that is someone's (see above):
    // when that is an erased person's, the write is theirs, and it is refused as a re-creation would be.
    // Writing it to the profile of a weaker identifier instead (the anonymous id of a shared device, held by
    // another visitor) would put the erased person's name, e-mail and activity on someone else's profile:
    // a resend of their message after the erasure, or the person back on a device. No new signal: a
    // write naming only that identifier is refused alike (it would create a profile).
    const known = new Set(existing.map(identityKey));
    if (suppressed && !data.id) {
      const first = uniqueIdentifiers.find((i) => suppressedSet.has(i) || known.has(identityKey(i)))!;
      if (suppressedSet.has(first)) throw refuseSuppressed(first);
    }
    if (suppressed && owners.length === 0) throw refuseSuppressed(suppressed);
    const fresh = uniqueIdentifiers.filter((i) => !known.has(identityKey(i)) && !suppressedSet.has(i));

    let customer: Customer;
    let created = false;
    const merges: CustomerMerge[] = [];
    if (owners.length > 1) {
      const linking = new Map<string, Set<IdentityKind>>(owners.map((o) => [o, new Set()]));
      for (const i of matched) linking.get(resolved.get(i.customer.id)!.id)!.add(i.kind);
      const byId = data.id ? resolved.get(data.id)!.id : null;
      const weak = owners.filter((o) => o !== byId && ![...linking.get(o)!].some((k) => policy.autoMergeKinds.includes(k)));
      const ids = owners.map((o) => toGlobalId('Customer', o));
      if (options.allowMerge === false) {
        throw conflict('these identifiers belong to different customers, and this write may not merge profiles; ask support to merge them', { field: 'identities', reason: 'MERGE_NOT_ALLOWED', customerIds: ids });
      }
      if (weak.length) {
        const kinds = [...new Set(weak.flatMap((o) => [...linking.get(o)!]))].join(', ');
        throw conflict(`these identifiers belong to different customers, linked only by ${kinds}, which may not merge automatically (MERGE_POLICY.autoMergeKinds); an agent can merge them with mergeCustomers`, {
          field: 'identities', reason: 'MERGE_POLICY', customerIds: ids,
        });
      }
      await checkIdentityLimits(tem, policy, owners, fresh);
      // Deterministic survivor: the oldest profile (then the smallest id), whatever order the sources arrive in.
      const [survivor, ...losers] = [...owners].sort((a, b) => {
        const ca = resolved.get(a)!.createdAt.getTime();
        const cb = resolved.get(b)!.createdAt.getTime();
        return ca !== cb ? ca - cb : a.localeCompare(b);
      });
      const kinds = [...new Set(matched.map((i) => i.kind))].join(', ');
      for (const loser of losers) {
        const outcome = await mergeCustomers(tem, survivor, loser, `automatic: a write from "${source}" carried ${kinds} of both profiles`, `auto:${source}`, { policy, automatic: true, audit });
        merges.push(outcome.merge);
      }
      customer = await tem.findOneOrFail(Customer, { id: survivor }, { refresh: true });
    } else if (owners.length === 1) {
      customer = await requireActiveCustomer(tem, owners[0], data.id ? 'id' : 'identities');
      // For a caller who may not know whose an identifier is, one another profile holds counts toward the
      // limit as a new one would (it is not linked either way): else an IDENTITY_LIMIT conflict would
      // come only for identifiers nobody holds, and tell which are someone's.
      const held = new Set(matched.map(identityKey));
      await checkIdentityLimits(tem, policy, [customer.id], options.revealOwners === false ? uniqueIdentifiers.filter((i) => !held.has(identityKey(i))) : fresh);
    } else {
      await checkIdentityLimits(tem, policy, [], fresh);
      customer = tem.create(Customer, {});
      created = true;
    }

    const at = new Date().toISOString();
    const provenance: FieldProvenanceMap = { ...customer.fieldProvenance };
    const given: Record<(typeof PROVENANCE_FIELDS)[number], unknown> = {
      firstName: data.firstName, lastName: data.lastName, email, phone, birthDate: data.birthDate, locale, address: data.address,
    };
    for (const field of PROVENANCE_FIELDS) if (given[field] !== undefined) provenance[field] = { source, at };
    if (data.firstName !== undefined) customer.firstName = cleanText(data.firstName, 'firstName');
    if (data.lastName !== undefined) customer.lastName = cleanText(data.lastName, 'lastName');
    if (email !== undefined) customer.email = email;
    if (phone !== undefined) customer.phone = phone;
    if (data.birthDate !== undefined) customer.birthDate = data.birthDate;
    if (locale !== undefined) customer.locale = locale;
    if (data.address !== undefined) customer.address = data.address ? cleanAddress(data.address) : null;
    if (data.traits != null) {
      const merged = { ...customer.traits, ...data.traits };
      checkJsonSize(merged, 'traits');
      customer.traits = merged;
      for (const key of Object.keys(data.traits)) provenance[`traits.${key}`] = { source, at };
    } else if (data.traits === null) {
      customer.traits = {};
      for (const key of Object.keys(provenance)) if (key.startsWith('traits.')) delete provenance[key];
      provenance.traits = { source, at };
    }
    customer.fieldProvenance = provenance;

    for (const i of fresh) tem.create(Identity, { customer, kind: i.kind, namespace: i.namespace, value: i.value, source });
    await tem.flush();
    await audit?.(tem, customer.id);
    return { customer, created, mergedIds: merges.map((m) => m.loser.id), merges, ignored };
  });
}

/**
 * Locks the named customers (id order; survivors as they are reached) and maps each to the profile it
 * is now, following merges. Unknown or erased: absent. `lock`: FOR UPDATE for writers that merge or
 * rewrite the profile, FOR KEY SHARE for writers that only add rows (waits for a merge or erasure,
 * not for other such writers).
 */
export async function followMerges(
  em: EntityManager, ids: string[], lock: 'update' | 'key share',
  // The ingestion core binds the id array as a parameter (em.execute inlines it: ~40 bytes of escaped text per id).
  select: (sql: string, params: unknown[]) => Promise<Array<{ id: string; status: string; merged_into_id: string | null; created_at: Date }>> = (sql, params) => em.execute(sql, params),
): Promise<Map<string, { id: string; createdAt: Date }>> {
  const out = new Map<string, { id: string; createdAt: Date }>();
  let pending = [...new Set(ids)];
  const seen = new Map<string, { status: string; mergedInto: string | null; createdAt: Date }>();
  for (let hop = 0; pending.length && hop < 20; hop++) {
    const rows = await select(
      `select id, status, merged_into_id, created_at from customers where id = any(?::uuid[]) order by id for ${lock}`,
      [uuidArray(pending)],
    );
    for (const r of rows) seen.set(r.id, { status: r.status, mergedInto: r.merged_into_id, createdAt: new Date(r.created_at) });
    pending = [...new Set(rows.filter((r) => r.status === CustomerStatus.MERGED && r.merged_into_id && !seen.has(r.merged_into_id)).map((r) => r.merged_into_id!))];
  }
  for (const id of ids) {
    let cur = id;
    for (let hop = 0; hop < 20; hop++) {
      const row = seen.get(cur);
      if (!row || row.status !== CustomerStatus.MERGED || !row.mergedInto) break;
      cur = row.mergedInto;
    }
    const row = seen.get(cur);
    if (row && row.status !== CustomerStatus.ERASED) out.set(id, { id: cur, createdAt: row.createdAt });
  }
  return out;
}

/** Locks the named customers and maps each to the active profile it is now (following merges). */
async function resolveOwners(em: EntityManager, ids: string[]): Promise<Map<string, { id: string; createdAt: Date }>> {
  const out = await followMerges(em, ids, 'update');
  if (ids.some((id) => !out.has(id))) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'identities' });
  return out;
}

/** The suppressed digests among `ids`' digests under every key: the identifier each belongs to, by digest. */
export async function suppressedDigests<T extends { kind: string; namespace: string; value: string }>(
  em: EntityManager, keyring: Keyring, ids: T[], select: (sql: string, params: unknown[]) => Promise<Array<{ digest: string }>> = (sql, params) => em.execute(sql, params),
): Promise<Set<T>> {
  const byDigest = new Map<string, T>();
  for (const i of ids) for (const d of keyring.identifierDigests(i)) byDigest.set(d, i);
  if (!byDigest.size) return new Set();
  const rows = await select('select digest from suppressed_identifiers where digest = any(?::text[])', [textArray([...byDigest.keys()])]);
  return new Set(rows.map((r) => byDigest.get(r.digest)!));
}

function cleanAddress(a: PostalAddress): PostalAddress {
  const country = cleanText(a.country, 'address.country', 2)?.toUpperCase() ?? null;
  if (country && !/^[A-Z]{2}$/.test(country)) throw badInput('address.country must be an ISO 3166-1 alpha-2 code', 'address.country');
  return {
    line1: cleanText(a.line1, 'address.line1') ?? null,
    line2: cleanText(a.line2, 'address.line2') ?? null,
    city: cleanText(a.city, 'address.city') ?? null,
    region: cleanText(a.region, 'address.region') ?? null,
    postalCode: cleanText(a.postalCode, 'address.postalCode', 20) ?? null,
    country,
  };
}
