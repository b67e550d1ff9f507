import { Migration } from '@mikro-orm/migrations';

export class Migration20261205200402 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "customer_metrics" alter column "churn_risk" type double precision using ("churn_risk"::double precision);`);
    this.addSql(`alter table "customer_metrics" alter column "churn_risk" drop not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customer_metrics" alter column "churn_risk" type float8 using ("churn_risk"::float8);`);
    this.addSql(`alter table "customer_metrics" alter column "churn_risk" set not null;`);
  }

}
