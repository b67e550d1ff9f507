import type { NonEmptyArray } from 'type-graphql';
import { WebhooksResolver } from './webhooks/webhooks.resolver';
import { TriggersResolver } from './triggers/triggers.resolver';
import { CustomerConsentsResolver, CustomerResolver } from './customer/customer.resolver';
import { OrderLineResolver, OrderResolver } from './order/order.resolver';
import { InteractionResolver } from './interaction/interaction.resolver';
import { IngestResolver } from './ingest/ingest.resolver';
import { FeedbackResolver } from './feedback/feedback.resolver';
import { ConsentResolver } from './consent/consent.resolver';
import { NodeResolver } from './node/node.resolver';
import { ProductResolver } from './product/product.resolver';
import { PrivacyResolver } from './privacy/privacy.resolver';
import { TimelineResolver } from './timeline/timeline.resolver';
import { LiveResolver } from './live/live.resolver';
import { LifecycleStageChangeResolver, SegmentMembershipChangeResolver } from './live/live.types';
import { SegmentMemberResolver, SegmentMembersResolver } from './exports/segment-members.resolver';
import { CustomerValueResolver, SegmentMembershipResolver, SegmentResolver } from './analytics/analytics.resolver';
import { AnalyticsHistoryResolver, CustomerLifecycleHistoryResolver } from './analytics/history.resolver';
import { CampaignMetricsRowResolver, CampaignOfferResultResolver, CampaignVariantResultResolver, InsightsResolver } from './insights/insights.resolver';
import { CustomerOffersResolver, OfferResolver } from './offers/offers.resolver';
import { CustomerMergeFieldsResolver, MergeResolver } from './merge/merge.resolver';
import { CustomerPreferencesFieldResolver, CustomerPreferencesResolver } from './preferences/preferences.resolver';
import {
  CustomerRecommendationsFieldResolver, ProductAlsoBoughtResolver, RecommendationResolver, SimilarProductResolver,
} from './recommendations/recommendations.resolver';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const resolvers: NonEmptyArray<Function> = [
  NodeResolver,
  CustomerResolver,
  CustomerConsentsResolver,
  ProductResolver,
  OrderResolver,
  OrderLineResolver,
  InteractionResolver,
  IngestResolver,
  FeedbackResolver,
  ConsentResolver,
  PrivacyResolver,
  TimelineResolver,
  LiveResolver,
  SegmentMembershipChangeResolver,
  LifecycleStageChangeResolver,
  CustomerValueResolver,
  AnalyticsHistoryResolver,
  CustomerLifecycleHistoryResolver,
  SegmentResolver,
  SegmentMembershipResolver,
  SegmentMembersResolver,
  SegmentMemberResolver,
  InsightsResolver,
  CampaignMetricsRowResolver,
  CampaignVariantResultResolver,
  CampaignOfferResultResolver,
  OfferResolver,
  CustomerOffersResolver,
  MergeResolver,
  CustomerMergeFieldsResolver,
  CustomerPreferencesFieldResolver,
  CustomerPreferencesResolver,
  CustomerRecommendationsFieldResolver,
  RecommendationResolver,
  ProductAlsoBoughtResolver,
  SimilarProductResolver,
  WebhooksResolver,
  TriggersResolver,
];
