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
