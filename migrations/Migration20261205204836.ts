import { Migration } from '@mikro-orm/migrations';

export class Migration20261205204836 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "interactions" drop constraint if exists "interactions_type_check";`);

    this.addSql(`alter table "campaigns" add column "control_percent" smallint not null default 0, add column "attribution_window_days" smallint not null default 7, add column "cost_minor" bigint null, add column "currency" char(3) null;`);
    this.addSql(`alter table "campaigns" add constraint campaigns_cost_minor_check check(cost_minor >= 0);`);
    this.addSql(`alter table "campaigns" add constraint campaigns_attribution_window_days_check check(attribution_window_days >= 1 and attribution_window_days <= 90);`);
    this.addSql(`alter table "campaigns" add constraint campaigns_control_percent_check check(control_percent >= 0 and control_percent <= 50);`);

    this.addSql(`alter table "offers" add column "variant_weight" smallint null, add column "attributed_revenue_minor" bigint not null default 0, add column "attributed_converters" int not null default 0;`);
    this.addSql(`alter table "offers" add constraint offers_variant_weight_check check(variant_weight >= 1 and variant_weight <= 1000);`);

    this.addSql(`alter table "orders" add column "offer_id" uuid null, add column "campaign_id" uuid null;`);

    this.addSql(`alter table "interactions" add constraint "interactions_type_check" check("type" in ('page_view', 'product_view', 'search', 'cart_add', 'cart_abandon', 'email_send', 'email_open', 'email_click', 'sms_send', 'push_send', 'offer_shown', 'offer_accepted', 'offer_rejected', 'chat_message', 'call', 'store_visit', 'ticket', 'social_mention', 'screen_view', 'custom_event', 'held_out'));`);
    this.addSql(`create index "interactions_campaign_type_idx" on "interactions" ("campaign", "type", "customer_id") where "campaign" is not null;`);

    // Holdout and variant assignment: the same hash as campaignBucket() in src/campaigns/holdout.ts
    // (a test checks they agree): 0..9999 from the first 32 bits of md5(salt:campaign:customer).
    this.addSql(`create function "rapport_campaign_bucket"(p_campaign uuid, p_customer uuid, p_salt text) returns integer language sql immutable parallel safe as $$
      select (('x' || substr(md5(p_salt || ':' || p_campaign::text || ':' || p_customer::text), 1, 8))::bit(32)::bigint % 10000)::int
    $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists "rapport_campaign_bucket"(uuid, uuid, text);`);
    this.addSql(`alter table "interactions" drop constraint if exists "interactions_type_check";`);

    this.addSql(`alter table "campaigns" drop constraint campaigns_cost_minor_check;`);
    this.addSql(`alter table "campaigns" drop constraint campaigns_attribution_window_days_check;`);
    this.addSql(`alter table "campaigns" drop constraint campaigns_control_percent_check;`);
    this.addSql(`alter table "campaigns" drop column "control_percent", drop column "attribution_window_days", drop column "cost_minor", drop column "currency";`);

    this.addSql(`drop index "interactions_campaign_type_idx";`);

    this.addSql(`alter table "interactions" add constraint "interactions_type_check" check("type" in ('page_view', 'product_view', 'search', 'cart_add', 'cart_abandon', 'email_send', 'email_open', 'email_click', 'sms_send', 'push_send', 'offer_shown', 'offer_accepted', 'offer_rejected', 'chat_message', 'call', 'store_visit', 'ticket', 'social_mention', 'screen_view', 'custom_event'));`);

    this.addSql(`alter table "offers" drop constraint offers_variant_weight_check;`);
    this.addSql(`alter table "offers" drop column "variant_weight", drop column "attributed_revenue_minor", drop column "attributed_converters";`);

    this.addSql(`alter table "orders" drop column "offer_id", drop column "campaign_id";`);
  }

}
