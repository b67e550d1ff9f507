import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { Customer, CustomerPreference } from '../../entities';
import { PreferenceKind } from '../../entities/preference-enums';
import type { Context } from '../../context';
import { expectGlobalId } from '../../schema/global-id';
import { setPreferences } from '../../services/preferences.service';
import { writeAudit } from '../common/audit';
import { CustomerPreferences, InferredPreferences } from './preferences.types';
import { SetPreferencesInput } from './preferences.inputs';

@Resolver(() => Customer)
export class CustomerPreferencesFieldResolver {
  @FieldResolver(() => CustomerPreferences, { description: 'Stated and inferred preferences.' })
  preferences(@Root() customer: Customer): CustomerPreferences {
    return new CustomerPreferences(customer.id);
  }
}

@Resolver(() => CustomerPreferences)
export class CustomerPreferencesResolver {
  @FieldResolver(() => [CustomerPreference], { description: 'What the customer stated, by kind.' })
  stated(@Root() prefs: CustomerPreferences, @Ctx() ctx: Context): Promise<CustomerPreference[]> {
    return ctx.loaders.statedPreferences.load(prefs.customerId);
  }

  @FieldResolver(() => InferredPreferences)
  async inferred(@Root() prefs: CustomerPreferences, @Ctx() ctx: Context): Promise<InferredPreferences> {
    const r = await ctx.loaders.inferredPreferences.load(prefs.customerId);
    const withOwner = <T extends object>(items: T[]) => items.map((i) => ({ ...i, customerId: prefs.customerId }));
    return {
      customerId: prefs.customerId, available: r.unavailableReason === null, unavailableReason: r.unavailableReason,
      categories: withOwner(r.categories), brands: withOwner(r.brands),
    };
  }

  @Mutation(() => CustomerPreferences, { description: 'Replaces the stated preferences of the kinds given, in one transaction.' })
  async setPreferences(
    @Arg('customerId', () => ID) customerId: string,
    @Arg('input', () => SetPreferencesInput) input: SetPreferencesInput,
    @Ctx() ctx: Context,
  ): Promise<CustomerPreferences> {
    const id = expectGlobalId(customerId, 'Customer', 'customerId');
    // undefined: kind not named (kept); null on a list is refused by the service; null frequency clears it.
    const list = (v: string[] | null | undefined) => (v === undefined ? undefined : (v as string[]));
    await setPreferences(ctx.em, id, {
      sets: {
        [PreferenceKind.CATEGORY]: list(input.categories),
        [PreferenceKind.BRAND]: list(input.brands),
        [PreferenceKind.AUTHOR]: list(input.authors),
        [PreferenceKind.CHANNEL]: list(input.channels),
        [PreferenceKind.CONTACT_FREQUENCY]: input.contactFrequency === undefined ? undefined : input.contactFrequency === null ? [] : [input.contactFrequency],
      },
      source: input.source,
    }, writeAudit(ctx, 'setPreferences'));
    return new CustomerPreferences(id);
  }
}
