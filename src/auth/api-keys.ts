import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKey } from '../entities';
import { DomainError, ErrorCode, badInput, notFound } from '../errors/domain-error';
import { Scope } from './policy';
import { Role, type Viewer } from './viewer';
import { requireText } from '../services/validation';
import type { WriteAudit } from '../services/customer.service';

const KEY_RE = /^rpk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const digest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The full key, shown once. */
  secret: string;
}

export async function createApiKey(em: EntityManager, data: { name: string; scopes: string[]; expiresAt?: Date | null; createdBy: string }, audit?: WriteAudit): Promise<CreatedApiKey> {
  const name = requireText(data.name, 'name', 100);
  const valid = new Set<string>(Object.values(Scope));
  if (!data.scopes.length) throw badInput('a key needs at least one scope', 'scopes');
  for (const s of data.scopes) if (!valid.has(s)) throw badInput(`unknown scope "${s}" (known: ${[...valid].join(', ')})`, 'scopes');
  if (data.expiresAt && data.expiresAt.getTime() <= Date.now()) throw badInput('expiresAt must be in the future', 'expiresAt');
  const prefix = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secretPart = randomBytes(32).toString('base64url');
  const secret = `rpk_${prefix}_${secretPart}`;
  return em.transactional(async (tem) => {
    const apiKey = tem.create(ApiKey, { name, prefix, secretHash: digest(secretPart), scopes: [...new Set(data.scopes)].sort(), createdBy: data.createdBy, expiresAt: data.expiresAt ?? null });
    await tem.flush();
    await audit?.(tem, null);
    return { apiKey, secret };
  });
}

export async function revokeApiKey(em: EntityManager, id: string, audit?: WriteAudit): Promise<ApiKey> {
  return em.transactional(async (tem) => {
    const key = await tem.findOne(ApiKey, { id });
    if (!key) throw notFound('api key');
    key.revokedAt ??= new Date();
    await tem.flush();
    await audit?.(tem, null);
    return key;
  });
}

/** Longest grace period rotateApiKey allows for the previous secret: a week. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

/**
 * Gives a key a new secret, in place: the key keeps its id, prefix, scopes, expiry and the webhook
 * endpoints it registered (which a new key would orphan). The new secret is shown once. The previous
 * secret stops working at once (`graceSeconds` 0) or after `graceSeconds`, so a partner can deploy the
 * new one without an outage. Only the secret of the last rotation is kept: rotating again during a
 * grace period ends the older secret at once.
 */
export async function rotateApiKey(em: EntityManager, id: string, graceSeconds: number, audit?: WriteAudit): Promise<CreatedApiKey> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
    throw badInput(`gracePeriodSeconds must be a whole number from 0 to ${MAX_ROTATION_GRACE_SECONDS}`, 'gracePeriodSeconds');
  }
  return em.transactional(async (tem) => {
    // Locked, so two concurrent rotations cannot both keep "the previous" secret.
    const key = await tem.findOne(ApiKey, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!key) throw notFound('api key');
    if (key.revokedAt) throw badInput('a revoked key cannot be rotated; create a new one', 'id');
    const secretPart = randomBytes(32).toString('base64url');
    const [{ now }] = await tem.getConnection().execute<Array<{ now: Date }>>('select now() as now');
    key.previousSecretHash = graceSeconds > 0 ? key.secretHash : null;
    key.previousSecretExpiresAt = graceSeconds > 0 ? new Date(new Date(now).getTime() + graceSeconds * 1000) : null;
    key.secretHash = digest(secretPart);
    key.rotatedAt = new Date(now);
    await tem.flush();
    await audit?.(tem, null);
    return { apiKey: key, secret: `rpk_${key.prefix}_${secretPart}` };
  });
}

/** Resolves an `X-API-Key` header to a partner viewer; anything wrong is UNAUTHENTICATED, with no hint which part. */
export async function authenticateApiKey(em: EntityManager, raw: string): Promise<Viewer> {
  const m = KEY_RE.exec(raw.trim());
  const fail = () => new DomainError(ErrorCode.UNAUTHENTICATED, 'invalid, expired or revoked API key');
  if (!m) throw fail();
  // Time comparisons in SQL: one clock (the database's), and no driver type-parsing surprises.
  const rows: Array<{ id: string; name: string; secret_hash: string; previous_hash: string | null; scopes: string[]; usable: boolean; stale: boolean }> = await em.execute(
    `select id, name, secret_hash, scopes,
            case when previous_secret_expires_at > now() then previous_secret_hash end as previous_hash,
            (revoked_at is null and (expires_at is null or expires_at > now())) as usable,
            (last_used_at is null or last_used_at < now() - interval '1 minute') as stale
     from api_keys where prefix = ?`,
    [m[1]],
  );
  const key = rows[0];
  const given = Buffer.from(digest(m[2]), 'hex');
  // Compare even when no key matched, so timing does not reveal which prefixes exist.
  const stored = Buffer.from(key?.secret_hash ?? '0'.repeat(64), 'hex');
  // The secret before a rotation, while its grace period lasts; both compared, so timing says nothing.
  const previous = Buffer.from(key?.previous_hash ?? '1'.repeat(64), 'hex');
  const current = timingSafeEqual(given, stored);
  const earlier = timingSafeEqual(given, previous);
  if (!(current || earlier) || !key || !key.usable) throw fail();
  if (key.stale) {
    await em.execute('update api_keys set last_used_at = now() where id = ?', [key.id]);
  }
  return { role: Role.PARTNER, subject: `api-key:${key.name}`, apiKeyId: key.id, scopes: key.scopes as Scope[] };
}

