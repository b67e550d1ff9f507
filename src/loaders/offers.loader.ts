import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Campaign, Segment } from '../entities';
import type { OfferChannel } from '../entities/offer-enums';
import { rankOffers, type RankedOffer } from '../services/offers.service';
import { uuidArray } from '../services/pagination';
import { groupBy } from './child-page.loader';

export interface NextBestOffersKey {
  customerId: string;
  channel: OfferChannel;
  first: number;
}

function byId<T extends object>(em: EntityManager, entity: new () => T, table: string) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows: Array<Record<string, unknown>> = await em.execute(`select * from ${table} where id = any(?::uuid[])`, [uuidArray(ids)]);
    const found = new Map(rows.map((r) => [String(r.id), em.map(entity, r as never)]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

/** Offers' loaders: one statement per batch, whatever the number of customers or offers asked about. */
export function createOfferLoaders(em: EntityManager) {
  return {
    offerCampaignById: byId(em, Campaign, 'campaigns'),
    offerSegmentById: byId(em, Segment, 'segments'),
    /** Ranked eligible offers of every customer of the request that asks with the same channel and size: one statement. */
    nextBestOffers: new DataLoader<NextBestOffersKey, RankedOffer[], string>(async (keys) => {
      const out = new Map<string, RankedOffer[]>();
      for (const group of groupBy(keys, (k) => `${k.channel}|${k.first}`).values()) {
        const ranked = await rankOffers(em, [...new Set(group.map((k) => k.customerId))], group[0].channel, group[0].first);
        for (const k of group) out.set(`${k.customerId}|${k.channel}|${k.first}`, ranked.get(k.customerId) ?? []);
      }
      return keys.map((k) => out.get(`${k.customerId}|${k.channel}|${k.first}`) ?? []);
    }, { cacheKeyFn: (k) => `${k.customerId}|${k.channel}|${k.first}` }),
  };
}
