import { Migration } from '@mikro-orm/migrations';

export class Migration20261205201503 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "interactions" drop constraint if exists "interactions_type_check";`);

    this.addSql(`alter table "interactions" add constraint "interactions_type_check" check("type" in ('page_view', 'product_view', 'search', 'cart_add', 'cart_abandon', 'email_send', 'email_open', 'email_click', 'sms_send', 'push_send', 'offer_shown', 'offer_accepted', 'offer_rejected', 'chat_message', 'call', 'store_visit', 'ticket', 'social_mention', 'screen_view', 'custom_event'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "interactions" drop constraint if exists "interactions_type_check";`);

    this.addSql(`alter table "interactions" add constraint "interactions_type_check" check("type" in ('page_view', 'product_view', 'search', 'cart_add', 'cart_abandon', 'email_send', 'email_open', 'email_click', 'sms_send', 'push_send', 'offer_shown', 'offer_accepted', 'offer_rejected', 'chat_message', 'call', 'store_visit', 'ticket', 'social_mention'));`);
  }

}
