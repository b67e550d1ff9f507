import { DomainError, ErrorCode } from '../errors/domain-error';

/** Relay global object identification: base64url("Type:uuid"). Opaque to clients by contract. */
export function toGlobalId(type: string, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function fromGlobalId(globalId: string): { type: string; id: string } | null {
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep <= 0) return null;
  const type = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  if (!UUID_RE.test(id)) return null;
  return { type, id: id.toLowerCase() };
}

/** Decodes a global id that must name an object of `type`; anything else is bad input. */
export function expectGlobalId(globalId: string, type: string, argName = 'id'): string {
  const parsed = fromGlobalId(globalId);
  if (!parsed || parsed.type !== type) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `${argName} is not a valid ${type} id`, { argumentName: argName });
  }
  return parsed.id;
}

/**
 * Like expectGlobalId, but also takes the raw UUID (as segment ids were passed before they were
 * global; scripts and saved links still send them). A UUID never decodes as a global id, so the two
 * forms cannot be confused.
 */
export function expectGlobalOrRawId(id: string, type: string, argName = 'id'): string {
  return UUID_RE.test(id) ? id.toLowerCase() : expectGlobalId(id, type, argName);
}
