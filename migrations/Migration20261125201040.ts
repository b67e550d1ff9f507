import { Migration } from '@mikro-orm/migrations';

export class Migration20261125201040 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "customer_metrics" ("customer_id" uuid not null, "computed_at" timestamptz not null default now(), "model_version" text not null, "currency" char(3) null, "orders_count" int not null, "first_order_at" timestamptz null, "last_order_at" timestamptz null, "recency_days" int null, "frequency" int not null, "monetary_avg_minor" bigint null, "historic_value_minor" bigint not null, "r_score" smallint null, "f_score" smallint null, "m_score" smallint null, "rfm_segment" text not null, "predicted_purchases12m" double precision null, "p_alive" double precision null, "expected_spend_minor" double precision null, "clv12m_minor" bigint null, "engagement_decline" double precision not null, "negative_feedback90d" int not null, "churn_risk" double precision not null, "value_tier" text not null, "lifecycle_stage" text not null, constraint "customer_metrics_pkey" primary key ("customer_id"));`);
    this.addSql(`create index "customer_metrics_tier_idx" on "customer_metrics" ("value_tier");`);
    this.addSql(`create index "customer_metrics_stage_idx" on "customer_metrics" ("lifecycle_stage");`);
    this.addSql(`create index "customer_metrics_segment_idx" on "customer_metrics" ("rfm_segment");`);
    this.addSql(`create index "customer_metrics_churn_idx" on "customer_metrics" ("churn_risk");`);
    this.addSql(`create index "customer_metrics_clv_idx" on "customer_metrics" ("clv12m_minor");`);

    this.addSql(`create table "segments" ("id" uuid not null default gen_random_uuid(), "name" text not null, "description" text null, "rule" jsonb not null, "member_count" int not null default 0, "evaluated_at" timestamptz null, "created_by" text not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "segments_pkey" primary key ("id"));`);
    this.addSql(`alter table "segments" add constraint "segments_name_key" unique ("name");`);

    this.addSql(`create table "segment_memberships" ("id" uuid not null default gen_random_uuid(), "segment_id" uuid not null, "customer_id" uuid not null, "entered_at" timestamptz not null default now(), "left_at" timestamptz null, constraint "segment_memberships_pkey" primary key ("id"));`);
    this.addSql(`create unique index "segment_memberships_open_key" on "segment_memberships" ("segment_id", "customer_id") where "left_at" is null;`);
    this.addSql(`create index "segment_memberships_customer_idx" on "segment_memberships" ("customer_id");`);
    this.addSql(`create index "segment_memberships_segment_entered_idx" on "segment_memberships" ("segment_id", "entered_at");`);

    this.addSql(`alter table "segment_memberships" add constraint "segment_memberships_segment_id_foreign" foreign key ("segment_id") references "segments" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "segment_memberships" add constraint "segment_memberships_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "segment_memberships" drop constraint "segment_memberships_segment_id_foreign";`);

    this.addSql(`drop table if exists "customer_metrics" cascade;`);

    this.addSql(`drop table if exists "segments" cascade;`);

    this.addSql(`drop table if exists "segment_memberships" cascade;`);
  }

}
