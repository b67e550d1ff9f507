import { ACTION_POLICY, MUTATION_POLICY, holdsGrant, type Scope } from '../auth/policy';
import type { Role } from '../auth/viewer';

/**
 * THE table of who may do what through the ingestion core (README "One ingestion pipeline"). Every
 * path (mutations, ingestEvents, the import, later the tracking API) asks `rightsOf` and hands the
 * answer to the core, which enforces it; no adapter re-implements any of it.
 *
 * Derived from the access policy (src/auth/policy.ts), so that a batch can do nothing the single
 * writes it stands for could not:
 * - IDENTIFY (create or update a profile) is an upsertCustomer (ACTION_POLICY identifyProfiles): partners
 *   may not, except a first-party source's key with profiles:write, which may through ingestion only
 *   (its results name no customer and do not say whether the profile existed).
 * - An automatic merge (per MERGE_POLICY) is a mergeCustomers: partners and self-service may not.
 * - Suppressed identifiers (of erased customers) are never linked, and a write they would make a profile
 *   of, or that they name (the strongest identifier that is someone's, without an id), is refused for
 *   everyone: `refuseSuppressed` has no exception, it is listed so that the rule is read where the others
 *   are. Only a caller without `revealOwners`, writing to an existing profile named otherwise, is not told
 *   (identify.ts).
 * Rules about what an answer may reveal to a caller (e.g. whether an identifier already belongs to a
 * customer) belong here too, next to the rights that make them necessary.
 */
export interface IngestionRights {
  /** May create and update profiles (IDENTIFY events, upsertCustomer). */
  mayIdentify: boolean;
  /** May join two profiles automatically when the merge policy allows it. */
  mayMerge: boolean;
  /**
   * May name a customer by several identifiers, linking the new ones (ACTION_POLICY.linkIdentifiers;
   * partners only with profiles:write). Without it such an event is refused before anything is looked up, so the answer
   * never depends on whose the identifiers are.
   */
  mayLink: boolean;
  /**
   * May learn whose an identifier is (ACTION_POLICY.lookUpByIdentifier). Without it, identifiers another
   * customer holds are neither linked, merged nor reported on a write to one's own profile.
   */
  revealOwners: boolean;
  /** Identifiers of erased customers are refused (never re-create an erased person). */
  refuseSuppressed: true;
}

export const INGESTION_RULES = {
  identify: ACTION_POLICY.identifyProfiles,
  merge: MUTATION_POLICY.mergeCustomers,
  link: ACTION_POLICY.linkIdentifiers,
  reveal: ACTION_POLICY.lookUpByIdentifier,
} as const;

export function rightsOf(viewer: { role: Role; scopes?: Scope[] }): IngestionRights {
  return {
    mayIdentify: holdsGrant(INGESTION_RULES.identify, viewer),
    mayMerge: holdsGrant(INGESTION_RULES.merge, viewer),
    mayLink: holdsGrant(INGESTION_RULES.link, viewer),
    revealOwners: holdsGrant(INGESTION_RULES.reveal, viewer),
    refuseSuppressed: true,
  };
}

/** The operator's own tools (the import CLI): every right, as an admin. */
export const OPERATOR_RIGHTS: IngestionRights = { mayIdentify: true, mayMerge: true, mayLink: true, revealOwners: true, refuseSuppressed: true };

/** Writers that only add activity to a customer named by id (an offer response): nothing to identify, merge or link. */
export const ACTIVITY_RIGHTS: IngestionRights = { mayIdentify: false, mayMerge: false, mayLink: false, revealOwners: false, refuseSuppressed: true };
