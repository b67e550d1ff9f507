import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { auditWrite } from '../../auth/audit';

/** The audit hook a mutation hands to its service: one WRITE row, in the same transaction. */
export function writeAudit(ctx: Context, operation: string) {
  return (em: EntityManager, customerId: string | null) => auditWrite(em, ctx.viewer, ctx.requestId, operation, customerId);
}
