import { registerEnumType } from 'type-graphql';
import * as E from '../entities/enums';
import { CustomerSortField, SortDirection } from '../services/customer.service';
import { ComparisonOp, LifecycleStage, MetricField, PreferenceSource, TraitOp, ValueTier } from '../analytics/enums';

/** Registers every enum with type-graphql once, before the schema is built. */
export function registerEnums(): void {
  registerEnumType(E.CustomerStatus, { name: 'CustomerStatus' });
  registerEnumType(E.IdentityKind, { name: 'IdentityKind' });
  registerEnumType(E.OrderChannel, { name: 'OrderChannel' });
  registerEnumType(E.OrderStatus, { name: 'OrderStatus' });
  registerEnumType(E.InteractionChannel, { name: 'InteractionChannel' });
  registerEnumType(E.InteractionType, { name: 'InteractionType' });
  registerEnumType(E.FeedbackKind, { name: 'FeedbackKind' });
  registerEnumType(E.FeedbackStatus, { name: 'FeedbackStatus' });
  registerEnumType(E.ConsentPurpose, { name: 'ConsentPurpose' });
  registerEnumType(E.ConsentChannel, { name: 'ConsentChannel', valuesConfig: { ANY: { description: 'Applies to the purpose on every channel.' } } });
  registerEnumType(E.ConsentStatus, { name: 'ConsentStatus' });
  registerEnumType(E.LawfulBasis, { name: 'LawfulBasis' });
  registerEnumType(CustomerSortField, { name: 'CustomerSortField' });
  registerEnumType(SortDirection, { name: 'SortDirection' });
  registerEnumType(ValueTier, { name: 'ValueTier', description: 'Peppers & Rogers value tiers.' });
  registerEnumType(LifecycleStage, { name: 'LifecycleStage' });
  registerEnumType(MetricField, { name: 'MetricField' });
  registerEnumType(ComparisonOp, { name: 'ComparisonOp' });
  registerEnumType(TraitOp, { name: 'TraitOp' });
  registerEnumType(PreferenceSource, { name: 'PreferenceSource' });
}
