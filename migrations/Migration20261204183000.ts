import { Migration } from '@mikro-orm/migrations';

export class Migration20261204183000 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "customer_preferences" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "kind" text check ("kind" in ('category', 'brand', 'author', 'channel', 'contact_frequency')) not null, "value" text not null, "source" text not null, "stated_at" timestamptz not null default now(), constraint "customer_preferences_pkey" primary key ("id"));`);
    this.addSql(`alter table "customer_preferences" add constraint "customer_preferences_customer_kind_value_key" unique ("customer_id", "kind", "value");`);
    this.addSql(`alter table "customer_preferences" add constraint "customer_preferences_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);

    // Derived by the analytics run and replaced wholesale: no foreign keys (see ProductSimilarity).
    this.addSql(`create table "product_similarities" ("product_id" uuid not null, "similar_product_id" uuid not null, "score" double precision not null, "co_buyers" int not null, "computed_at" timestamptz not null default now(), constraint "product_similarities_pkey" primary key ("product_id", "similar_product_id"));`);
    this.addSql(`create table "product_popularity" ("product_id" uuid not null, "category" text not null, "buyers" int not null, "computed_at" timestamptz not null default now(), constraint "product_popularity_pkey" primary key ("product_id"));`);
    this.addSql(`create index "product_popularity_category_buyers_idx" on "product_popularity" ("category", "buyers");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "customer_preferences" cascade;`);
    this.addSql(`drop table if exists "product_similarities" cascade;`);
    this.addSql(`drop table if exists "product_popularity" cascade;`);
  }

}
