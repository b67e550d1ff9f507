import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { Node } from '../../schema/node';
import type { Context } from '../../context';
import { fromGlobalId } from '../../schema/global-id';
import { badInput } from '../../errors/domain-error';
import { visibleOrNull } from '../../auth/access';

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Fetches any object by its global id.' })
  node(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Node | null> | null {
    return loadNode(id, ctx);
  }

  @Query(() => [Node], { nullable: 'items', description: 'Fetches objects by global id; null for each id that names nothing. At most 100.' })
  nodes(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context) {
    if (ids.length > ctx.config.maxPageSize) throw badInput(`at most ${ctx.config.maxPageSize} ids`, 'ids');
    return Promise.all(ids.map((id) => loadNode(id, ctx)));
  }
}

function loadNode(id: string, ctx: Context): Promise<Node | null> | null {
  const parsed = fromGlobalId(id);
  if (!parsed) return null;
  return loadNodeOf(parsed.type, id, ctx);
}

/** The object a global id names if it is of `type` and the viewer may see it, else null (node's answer). */
export function loadNodeOf(type: string, id: string, ctx: Context): Promise<Node | null> | null {
  const parsed = fromGlobalId(id);
  if (!parsed || parsed.type !== type) return null;
  const loader = {
    Customer: ctx.loaders.customerById,
    Product: ctx.loaders.productById,
    Order: ctx.loaders.orderById,
    Interaction: ctx.loaders.interactionById,
    Feedback: ctx.loaders.feedbackById,
    ConsentRecord: ctx.loaders.consentRecordById,
  }[parsed.type];
  if (!loader) return null;
  return (loader.load(parsed.id) as Promise<Node | null>).then((obj) =>
    visibleOrNull(ctx, obj, (o) => (parsed.type === 'Customer' ? (o as unknown as { id: string }).id : parsed.type === 'Product' ? undefined : (o as unknown as { customer: { id: string } }).customer.id)),
  );
}
