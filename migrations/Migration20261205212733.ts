import { Migration } from '@mikro-orm/migrations';

export class Migration20261205212733 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "analytics_runs" ("id" uuid not null default gen_random_uuid(), "as_of" timestamptz not null, "computed_at" timestamptz not null default now(), "model_version" text not null, "customers" int not null, "stage_counts" jsonb not null, "tier_counts" jsonb not null, "previous_active" int null, "churn_rate" double precision null, "clv_totals" jsonb not null, "purchase_model" text null, "model_params" jsonb null, "log_likelihood" double precision null, "gamma_gamma_params" jsonb null, "segment_sizes" jsonb not null default '[]', constraint "analytics_runs_pkey" primary key ("id"));`);
    this.addSql(`create index "analytics_runs_as_of_idx" on "analytics_runs" ("as_of");`);

    this.addSql(`create table "customer_lifecycle_transitions" ("id" uuid not null default gen_random_uuid(), "customer_id" uuid not null, "run_id" uuid not null, "from_stage" text null, "to_stage" text not null, "at" timestamptz not null, constraint "customer_lifecycle_transitions_pkey" primary key ("id"));`);
    this.addSql(`create index "customer_lifecycle_transitions_run_idx" on "customer_lifecycle_transitions" ("run_id");`);
    this.addSql(`create index "customer_lifecycle_transitions_customer_idx" on "customer_lifecycle_transitions" ("customer_id", "at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "analytics_runs" cascade;`);

    this.addSql(`drop table if exists "customer_lifecycle_transitions" cascade;`);
  }

}
