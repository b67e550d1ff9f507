import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Campaign, Offer, Segment } from '../entities';
import type { OfferChannel } from '../entities/offer-enums';
import { rankOffers, type RankedOffer } from '../services/offers.service';
import { textArray, uuidArray } from '../services/pagination';
import { groupBy } from './child-page.loader';
import { campaignResults, offerConverters, type CampaignResult } from '../campaigns/results';

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
    offerById: byId(em, Offer, 'offers'),
    /** Ranked eligible offers of every customer of the request that asks with the same channel and size: one statement. */
    nextBestOffers: new DataLoader<NextBestOffersKey, RankedOffer[], string>(async (keys) => {
      const out = new Map<string, RankedOffer[]>();
      for (const group of groupBy(keys, (k) => `${k.channel}|${k.first}`).values()) {
        const ranked = await rankOffers(em, [...new Set(group.map((k) => k.customerId))], group[0].channel, group[0].first);
        for (const k of group) out.set(`${k.customerId}|${k.channel}|${k.first}`, ranked.get(k.customerId) ?? []);
      }
      return keys.map((k) => out.get(`${k.customerId}|${k.channel}|${k.first}`) ?? []);
    }, { cacheKeyFn: (k) => `${k.customerId}|${k.channel}|${k.first}` }),
    /** Results of every campaign the request asks about, by code: four statements per batch (campaigns, offers, groups, per offer). */
    campaignResultsByCode: new DataLoader<string, CampaignResult | null>(async (codes) => {
      const campaigns: Array<{ id: string; code: string; control_percent: number; attribution_window_days: number; cost_minor: string | null; currency: string | null }> =
        await em.execute('select id, code, control_percent, attribution_window_days, cost_minor, currency from campaigns where code = any(?::text[])', [textArray(codes)]);
      const offers: Array<{ id: string; campaign_id: string; code: string; variant_weight: number | null; currency: string }> = campaigns.length
        ? await em.execute('select id, campaign_id, code, variant_weight, currency from offers where campaign_id = any(?::uuid[])', [uuidArray(campaigns.map((c) => c.id))])
        : [];
      const results = await campaignResults(
        em,
        campaigns.map((c) => ({ id: c.id, controlPercent: c.control_percent, attributionWindowDays: c.attribution_window_days, costMinor: c.cost_minor == null ? null : Number(c.cost_minor), currency: c.currency })),
        offers.map((o) => ({ id: o.id, campaignId: o.campaign_id, code: o.code, variantWeight: o.variant_weight, currency: o.currency })),
      );
      const byCode = new Map(campaigns.map((c) => [c.code, results.get(c.id) ?? null]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),
    /** Converters of every offer asked about with the same `first`: one statement per size. */
    offerConverters: new DataLoader<{ offerId: string; first: number }, string[], string>(async (keys) => {
      const out = new Map<string, string[]>();
      for (const group of groupBy(keys, (k) => String(k.first)).values()) {
        const found = await offerConverters(em, [...new Set(group.map((k) => k.offerId))], group[0].first);
        for (const k of group) out.set(`${k.offerId}|${k.first}`, found.get(k.offerId) ?? []);
      }
      return keys.map((k) => out.get(`${k.offerId}|${k.first}`) ?? []);
    }, { cacheKeyFn: (k) => `${k.offerId}|${k.first}` }),
  };
}
