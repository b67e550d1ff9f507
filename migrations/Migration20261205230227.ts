import { Migration } from '@mikro-orm/migrations';

/**
 * Real-time segment membership (README "Segments" → "Real-time membership"). Each segment keeps its
 * rule compiled to SQL (segments.predicate_sql, values in predicate_params, what it reads in
 * depends_on; written by segments.service from the validated rule). Statement-level triggers on the
 * tables a rule reads call rapport_segments_refresh for the customers the statement touched, in the
 * writing transaction: it re-evaluates only the segments depending on what changed, for those
 * customers only, one set-based statement per segment, opening and closing stays (history kept; the
 * membership triggers write segment.entered / segment.exited to the outbox).
 */
export class Migration20261205230227 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "segments" add column "predicate_sql" text null, add column "predicate_params" jsonb null, add column "depends_on" text[] not null default '{}';`);

    // Trait dates are ISO 8601 strings in jsonb; a malformed one compares as null instead of failing the write.
    this.addSql(`create function "rapport_try_timestamptz"(s text) returns timestamptz language plpgsql stable as $fn$
    begin
      if s !~ '^\\d{4}-\\d{2}-\\d{2}' then return null; end if;
      -- Without an offset, UTC (never the session's time zone).
      if s ~ '\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)$' then return s::timestamptz; end if;
      return s::timestamp at time zone 'UTC';
    exception when others then
      return null;
    end $fn$;`);

    this.addSql(`create function "rapport_segments_refresh"(p_customers uuid[], p_kinds text[]) returns void language plpgsql as $fn$
    declare
      s record;
      ids uuid[];
      members uuid[];
      open_now uuid[];
      pname text;
    begin
      -- No segment reads what changed: nothing to do, no lock taken.
      if p_customers is null or not exists (select 1 from segments where predicate_sql is not null and (p_kinds is null or depends_on && p_kinds)) then
        return;
      end if;
      select array_agg(distinct c order by c) into ids from unnest(p_customers) c where c is not null;
      if ids is null then return; end if;
      -- Serialise segment-relevant writes per customer (FOR NO KEY UPDATE does not block inserts that
      -- reference the customer): the evaluation below then sees every committed change to them.
      perform 1 from customers where id = any(ids) order by id for no key update;
      for s in select id, predicate_sql, predicate_params from segments
                where predicate_sql is not null and (p_kinds is null or depends_on && p_kinds) order by id loop
        -- Only the predicate is dynamic SQL, and it is a prepared statement of this session (named by
        -- the hash of its text), so its plan is made once per connection instead of on every write;
        -- the writes below are plain statements (plans cached). Set operations go through unnest and
        -- hash joins, so a batch of many customers stays linear.
        pname := 'rapport_segment_' || md5(s.predicate_sql);
        if not exists (select 1 from pg_prepared_statements where name = pname) then
          execute format($q$prepare %I(jsonb, timestamptz, uuid[]) as
            select coalesce(array_agg(a.id order by a.id), '{}') from unnest($3) k(id) join customers a on a.id = k.id
              left join customer_metrics m on m.customer_id = a.id
             where a.status = 'active' and (%s)$q$, pname, s.predicate_sql);
        end if;
        execute format('execute %I(%L::jsonb, now(), %L::uuid[])', pname, s.predicate_params, ids) into members;
        -- Most writes change no membership: then nothing is written (nor any trigger fired).
        -- (segment_id, customer_id = any(ids)) probes the open-stay index: cost by customers, not segment size.
        select coalesce(array_agg(sm.customer_id order by sm.customer_id), '{}') into open_now
          from segment_memberships sm
         where sm.segment_id = s.id and sm.customer_id = any(ids) and sm.left_at is null;
        continue when members = open_now;
        update segment_memberships sm set left_at = now()
         where sm.segment_id = s.id and sm.customer_id = any(ids) and sm.left_at is null
           and sm.customer_id not in (select unnest(members));
        insert into segment_memberships (segment_id, customer_id, entered_at)
        select s.id, x.id, now() from unnest(members) x(id)
         where not exists (select 1 from segment_memberships sm where sm.segment_id = s.id and sm.customer_id = x.id and sm.left_at is null)
        on conflict (segment_id, customer_id) where left_at is null do nothing;
      end loop;
    end $fn$;`);

    // Tables with a customer_id: TG_ARGV[0] names the dependency a change there touches.
    this.addSql(`create function "rapport_segments_on_change"() returns trigger language plpgsql as $fn$
    declare ids uuid[];
    begin
      if TG_OP = 'INSERT' then
        select array_agg(customer_id) into ids from new_rows;
      elsif TG_OP = 'DELETE' then
        select array_agg(customer_id) into ids from old_rows;
      else
        -- Both sides: a merge moves rows from one customer to another.
        select array_agg(x) into ids from (select customer_id from new_rows union select customer_id from old_rows) u(x);
      end if;
      perform rapport_segments_refresh(ids, array[TG_ARGV[0]]);
      return null;
    end $fn$;`);
    for (const [table, kind] of [['orders', 'orders'], ['order_lines', 'orders'], ['interactions', 'interactions'], ['consent_records', 'consent'], ['customer_preferences', 'preferences']]) {
      for (const op of ['insert', 'update', 'delete']) {
        const refs = op === 'insert' ? 'new table as new_rows' : op === 'delete' ? 'old table as old_rows' : 'old table as old_rows new table as new_rows';
        this.addSql(`create trigger "rapport_segments_${table}_${op}" after ${op} on "${table}" referencing ${refs} for each statement execute function "rapport_segments_on_change"('${kind}');`);
      }
    }

    // The profile: a new customer is evaluated against every segment; a status change (merged, erased,
    // reactivated) too; an address or trait change against the segments reading the profile.
    this.addSql(`create function "rapport_segments_customers_insert"() returns trigger language plpgsql as $fn$
    begin
      perform rapport_segments_refresh((select array_agg(id) from new_rows), null);
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_segments_customers_insert" after insert on "customers" referencing new table as new_rows for each statement execute function "rapport_segments_customers_insert"();`);
    this.addSql(`create function "rapport_segments_customers_update"() returns trigger language plpgsql as $fn$
    begin
      perform rapport_segments_refresh((select array_agg(n.id) from new_rows n join old_rows o on o.id = n.id where n.status is distinct from o.status), null);
      perform rapport_segments_refresh((select array_agg(n.id) from new_rows n join old_rows o on o.id = n.id
                                         where n.status = o.status and (n.address is distinct from o.address or n.traits is distinct from o.traits)), array['profile']);
      return null;
    end $fn$;`);
    this.addSql(`create trigger "rapport_segments_customers_update" after update on "customers" referencing old table as old_rows new table as new_rows for each statement execute function "rapport_segments_customers_update"();`);

    // The consent-withdrawal trigger (Migration20261205205000) is subsumed: consent_records changes
    // re-evaluate every segment that depends on consent. It stays only for segments not yet compiled.
    this.addSql(`create or replace function "rapport_segments_consent_withdrawn"() returns trigger language plpgsql as $fn$
    begin
      update segment_memberships sm set left_at = now()
       where sm.left_at is null and (sm.segment_id, sm.customer_id) in (
         select s.id, w.customer_id
           from (select distinct customer_id, purpose, channel from new_rows where status <> 'granted') w
           join segment_memberships m on m.customer_id = w.customer_id and m.left_at is null
           join segments s on s.id = m.segment_id and s.predicate_sql is null
           cross join lateral rapport_rule_required_consents(s.rule) q
          where q.purpose = w.purpose and (q.channel = w.channel or w.channel = 'any')
            and rapport_consent_status(w.customer_id, q.purpose, q.channel) <> 'granted');
      return null;
    end $fn$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`create or replace function "rapport_segments_consent_withdrawn"() returns trigger language plpgsql as $fn$
    begin
      with closed as (
        update segment_memberships sm set left_at = now()
         where sm.left_at is null and (sm.segment_id, sm.customer_id) in (
           select s.id, w.customer_id
             from (select distinct customer_id, purpose, channel from new_rows where status <> 'granted') w
             join segment_memberships m on m.customer_id = w.customer_id and m.left_at is null
             join segments s on s.id = m.segment_id
             cross join lateral rapport_rule_required_consents(s.rule) q
            where q.purpose = w.purpose and (q.channel = w.channel or w.channel = 'any')
              and rapport_consent_status(w.customer_id, q.purpose, q.channel) <> 'granted')
        returning sm.segment_id)
      update segments s set member_count = greatest(0, s.member_count - c.n)
        from (select segment_id, count(*) as n from closed group by segment_id) c where s.id = c.segment_id;
      return null;
    end $fn$;`);
    for (const table of ['orders', 'order_lines', 'interactions', 'consent_records', 'customer_preferences']) {
      for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists "rapport_segments_${table}_${op}" on "${table}";`);
    }
    this.addSql(`drop trigger if exists "rapport_segments_customers_insert" on "customers";`);
    this.addSql(`drop trigger if exists "rapport_segments_customers_update" on "customers";`);
    this.addSql(`drop function if exists "rapport_segments_customers_insert"();`);
    this.addSql(`drop function if exists "rapport_segments_customers_update"();`);
    this.addSql(`drop function if exists "rapport_segments_on_change"();`);
    this.addSql(`drop function if exists "rapport_segments_refresh"(uuid[], text[]);`);
    this.addSql(`drop function if exists "rapport_try_timestamptz"(text);`);
    this.addSql(`alter table "segments" drop column "predicate_sql", drop column "predicate_params", drop column "depends_on";`);
  }

}
