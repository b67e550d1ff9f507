import { Migration } from '@mikro-orm/migrations';

export class Migration20261125194018 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "customers" ("id" uuid not null default gen_random_uuid(), "status" text check ("status" in ('active', 'merged', 'erased')) not null default 'active', "first_name" text null, "last_name" text null, "email" text null, "phone" text null, "birth_date" date null, "locale" text null, "address" jsonb null, "traits" jsonb not null default '{}', "merged_into_id" uuid null, "first_seen_at" timestamptz not null default now(), "last_seen_at" timestamptz not null default now(), "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "customers_pkey" primary key ("id"));`);
    this.addSql(`create index "customers_email_idx" on "customers" ("email");`);
    this.addSql(`create index "customers_last_seen_at_id_idx" on "customers" ("last_seen_at", "id");`);
    this.addSql(`create index "customers_created_at_id_idx" on "customers" ("created_at", "id");`);

    this.addSql(`create table "consent_records" ("id" uuid not null default gen_random_uuid(), "seq" bigserial, "customer_id" uuid not null, "purpose" text check ("purpose" in ('email_marketing', 'sms_marketing', 'push_marketing', 'phone_marketing', 'personalization', 'profiling', 'third_party_sharing', 'analytics')) not null, "channel" text check ("channel" in ('any', 'email', 'sms', 'push', 'phone', 'post', 'web')) not null, "status" text check ("status" in ('granted', 'denied', 'withdrawn')) not null, "lawful_basis" text check ("lawful_basis" in ('consent', 'contract', 'legitimate_interest', 'legal_obligation')) not null default 'consent', "source" text not null, "policy_version" text not null, "recorded_at" timestamptz not null default now(), constraint "consent_records_pkey" primary key ("id"));`);
    this.addSql(`create index "consent_records_current_idx" on "consent_records" ("customer_id", "purpose", "channel", "seq");`);

    this.addSql(`create table "identities" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "kind" text check ("kind" in ('email', 'phone', 'external_id', 'crm_id', 'loyalty_card', 'device')) not null, "namespace" text not null default '', "value" text not null, "source" text not null default 'api', "created_at" timestamptz not null default now(), constraint "identities_pkey" primary key ("id"));`);
    this.addSql(`create index "identities_customer_id_idx" on "identities" ("customer_id");`);
    this.addSql(`alter table "identities" add constraint "identities_kind_namespace_value_key" unique ("kind", "namespace", "value");`);

    this.addSql(`create table "orders" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "external_id" text null, "source" text not null default 'api', "placed_at" timestamptz not null, "channel" text check ("channel" in ('web', 'app', 'store', 'phone', 'marketplace', 'partner')) not null, "status" text check ("status" in ('placed', 'paid', 'shipped', 'delivered', 'cancelled', 'returned')) not null default 'placed', "currency" char(3) not null, "subtotal_minor" bigint not null, "discount_minor" bigint not null default 0, "total_minor" bigint not null, "created_at" timestamptz not null default now(), constraint "orders_pkey" primary key ("id"));`);
    this.addSql(`create index "orders_customer_placed_at_idx" on "orders" ("customer_id", "placed_at", "id");`);
    this.addSql(`alter table "orders" add constraint "orders_source_external_id_key" unique ("source", "external_id");`);

    this.addSql(`create table "products" ("id" uuid not null default gen_random_uuid(), "sku" text not null, "name" text not null, "category" text not null, "brand" text null, "price_minor" int not null, "currency" char(3) not null, "created_at" timestamptz not null default now(), constraint "products_pkey" primary key ("id"));`);
    this.addSql(`alter table "products" add constraint "products_sku_key" unique ("sku");`);
    this.addSql(`create index "products_category_idx" on "products" ("category");`);

    this.addSql(`create table "order_lines" ("id" uuid not null default gen_random_uuid(), "order_id" uuid not null, "customer_id" uuid not null, "product_id" uuid not null, "quantity" int not null, "unit_price_minor" int not null, "line_total_minor" bigint not null, "currency" char(3) not null, constraint "order_lines_pkey" primary key ("id"));`);
    this.addSql(`create index "order_lines_order_id_idx" on "order_lines" ("order_id");`);
    this.addSql(`create index "order_lines_customer_id_idx" on "order_lines" ("customer_id");`);
    this.addSql(`create index "order_lines_product_id_idx" on "order_lines" ("product_id");`);

    this.addSql(`create table "interactions" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "occurred_at" timestamptz not null, "channel" text check ("channel" in ('web', 'app', 'email', 'sms', 'push', 'social', 'chat', 'phone', 'store', 'support')) not null, "type" text check ("type" in ('page_view', 'product_view', 'search', 'cart_add', 'cart_abandon', 'email_send', 'email_open', 'email_click', 'sms_send', 'push_send', 'offer_shown', 'offer_accepted', 'offer_rejected', 'chat_message', 'call', 'store_visit', 'ticket', 'social_mention')) not null, "product_id" uuid null, "campaign" text null, "properties" jsonb not null default '{}', "source" text not null default 'api', "source_event_id" text null, "created_at" timestamptz not null default now(), constraint "interactions_pkey" primary key ("id"));`);
    this.addSql(`create index "interactions_product_id_idx" on "interactions" ("product_id");`);
    this.addSql(`alter table "interactions" add constraint "interactions_source_event_id_key" unique ("source_event_id");`);
    this.addSql(`create index "interactions_customer_occurred_at_idx" on "interactions" ("customer_id", "occurred_at", "id");`);

    this.addSql(`create table "feedback" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "kind" text check ("kind" in ('nps', 'csat', 'survey', 'review', 'complaint', 'suggestion')) not null, "score" smallint null, "text" text null, "topic" text null, "channel" text check ("channel" in ('web', 'app', 'email', 'sms', 'push', 'social', 'chat', 'phone', 'store', 'support')) null, "product_id" uuid null, "status" text check ("status" in ('open', 'acknowledged', 'resolved')) not null default 'open', "submitted_at" timestamptz not null, "resolved_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "feedback_pkey" primary key ("id"));`);
    this.addSql(`create index "feedback_product_id_idx" on "feedback" ("product_id");`);
    this.addSql(`create index "feedback_customer_submitted_at_idx" on "feedback" ("customer_id", "submitted_at", "id");`);

    this.addSql(`alter table "customers" add constraint "customers_merged_into_id_foreign" foreign key ("merged_into_id") references "customers" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "consent_records" add constraint "consent_records_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "identities" add constraint "identities_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "orders" add constraint "orders_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    this.addSql(`alter table "order_lines" add constraint "order_lines_order_id_foreign" foreign key ("order_id") references "orders" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade;`);

    this.addSql(`alter table "interactions" add constraint "interactions_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "interactions" add constraint "interactions_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "feedback" add constraint "feedback_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
    this.addSql(`alter table "feedback" add constraint "feedback_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete set null;`);

    // The consent ledger is evidence: rows are only ever appended. Enforced in the database so that
    // no code path (nor a hand-written UPDATE) can rewrite a customer's decision after the fact.
    this.addSql(`create function "rapport_forbid_consent_rewrite"() returns trigger language plpgsql as $$ begin raise exception 'consent_records is append-only' using errcode = 'restrict_violation'; end $$;`);
    this.addSql(`create trigger "consent_records_append_only" before update or delete on "consent_records" for each row execute function "rapport_forbid_consent_rewrite"();`);
    this.addSql(`create trigger "consent_records_no_truncate" before truncate on "consent_records" for each statement execute function "rapport_forbid_consent_rewrite"();`);
  }

}
