import { Migration } from '@mikro-orm/migrations';

// rotateApiKey: the secret before a rotation and its grace period.
export class Migration20261205230257 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "api_keys" add column "previous_secret_hash" text null, add column "previous_secret_expires_at" timestamptz null, add column "rotated_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "api_keys" drop column "previous_secret_hash", drop column "previous_secret_expires_at", drop column "rotated_at";`);
  }

}
