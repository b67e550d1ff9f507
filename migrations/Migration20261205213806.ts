import { Migration } from '@mikro-orm/migrations';

export class Migration20261205213806 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "customer_metrics" add column "margin_clv12m_minor" bigint null;`);

    this.addSql(`alter table "products" add column "unit_cost_minor" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer_metrics" drop column "margin_clv12m_minor";`);

    this.addSql(`alter table "products" drop column "unit_cost_minor";`);
  }

}
