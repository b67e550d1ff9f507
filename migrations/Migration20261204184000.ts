import { Migration } from '@mikro-orm/migrations';

export class Migration20261204184000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "campaigns" ("id" uuid not null default gen_random_uuid(), "code" text not null, "name" text not null, "description" text null, "channels" text[] not null, "starts_at" timestamptz not null, "ends_at" timestamptz null, "status" text check ("status" in ('draft', 'active', 'paused', 'ended')) not null default 'draft', "created_by" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "campaigns_pkey" primary key ("id"));`);
    this.addSql(`alter table "campaigns" add constraint "campaigns_code_key" unique ("code");`);

    this.addSql(`create table "offers" ("id" uuid not null default gen_random_uuid(), "code" text not null, "name" text not null, "description" text null, "campaign_id" uuid null, "goal" text check ("goal" in ('general', 'cross_sell', 'win_back', 'loyalty')) not null default 'general', "value_minor" bigint not null, "currency" char(3) not null, "discount_percent" smallint null, "discount_minor" bigint null, "segment_ids" uuid[] not null default '{}', "consent_purpose" text check ("consent_purpose" in ('email_marketing', 'sms_marketing', 'push_marketing', 'phone_marketing', 'personalization', 'profiling', 'third_party_sharing', 'analytics')) null, "channels" text[] not null, "starts_at" timestamptz not null, "ends_at" timestamptz null, "max_acceptances_per_customer" int null default 1, "status" text check ("status" in ('draft', 'active', 'paused', 'ended')) not null default 'draft', "shown_count" int not null default 0, "accepted_count" int not null default 0, "rejected_count" int not null default 0, "created_by" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "offers_pkey" primary key ("id"));`);
    this.addSql(`alter table "offers" add constraint "offers_code_key" unique ("code");`);
    this.addSql(`create index "offers_campaign_id_idx" on "offers" ("campaign_id");`);
    this.addSql(`create index "offers_status_idx" on "offers" ("status");`);
    this.addSql(`alter table "offers" add constraint "offers_campaign_id_foreign" foreign key ("campaign_id") references "campaigns" ("id") on update cascade on delete set null;`);

    // A customer's responses to one offer, read by the next-best-offer ranking: only the offer rows of the big table.
    this.addSql(`create index "interactions_offer_response_idx" on "interactions" ("customer_id", (properties ->> 'offerId')) where "type" in ('offer_shown', 'offer_accepted', 'offer_rejected');`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "interactions_offer_response_idx";`);
    this.addSql(`drop table if exists "offers" cascade;`);
    this.addSql(`drop table if exists "campaigns" cascade;`);
  }

}
