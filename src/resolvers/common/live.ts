import type { Context } from '../../context';
import type { ActivityKind } from '../../live/activity-events';

/** After a write committed: tells live subscribers (README "Live updates"). Ids and kind only. */
export function publishActivity(ctx: Context, kind: ActivityKind, entity: { id: string; customer: { id: string } }): void {
  ctx.events.publish({ customerId: entity.customer.id, kind, id: entity.id });
}
