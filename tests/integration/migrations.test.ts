import { createTestDatabase } from '../helpers/test-server';
import { initOrm } from '../../src/db/orm';

// Entities and committed migrations must agree: a model change without its migration fails here.
it('has no schema change pending beyond the committed migrations', async () => {
  const db = await createTestDatabase();
  const orm = await initOrm(db.url);
  try {
    const pending = await orm.getMigrator().getPendingMigrations();
    expect(pending).toEqual([]);
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false });
    expect(diff.trim()).toBe('');
  } finally {
    await orm.close();
    await db.drop();
  }
});

// Migration20261206193000 undone and redone: the index and rapport_consent_status as before it, then as after.
it('reverses and reapplies the in-force consent index', async () => {
  const db = await createTestDatabase();
  const orm = await initOrm(db.url);
  try {
    const state = async () => {
      const [row] = await orm.em.fork().getConnection().execute<Array<{ def: string; fn: string }>>(
        `select (select indexdef from pg_indexes where indexname = 'consent_records_current_idx') def,
                (select prosrc from pg_proc where proname = 'rapport_consent_status') fn`);
      return { columns: row.def.slice(row.def.indexOf('(') + 1, row.def.lastIndexOf(')')), perChannel: /union all/.test(row.fn) };
    };
    expect(await state()).toEqual({ columns: 'customer_id, purpose, channel, recorded_at DESC, seq DESC', perChannel: true });
    await orm.getMigrator().down('Migration20261206193000');
    expect(await state()).toEqual({ columns: 'customer_id, purpose, channel, seq', perChannel: false });
    await orm.getMigrator().up('Migration20261206193000');
    expect(await state()).toEqual({ columns: 'customer_id, purpose, channel, recorded_at DESC, seq DESC', perChannel: true });
  } finally {
    await orm.close();
    await db.drop();
  }
});

// Migration20261206194000 undone and redone: consent.changed as before it (the record's own status), then as after.
it('reverses and reapplies consent.changed about the consent in force', async () => {
  const db = await createTestDatabase();
  const orm = await initOrm(db.url);
  try {
    const state = async () => {
      const [row] = await orm.em.fork().getConnection().execute<Array<{ fn: string; helper: boolean }>>(
        `select (select prosrc from pg_proc where proname = 'rapport_outbox_consent_records_insert') fn,
                exists (select 1 from pg_proc where proname = 'rapport_consent_status_without') helper`);
      return { inForce: row.fn.includes('previousStatus'), helper: row.helper };
    };
    expect(await state()).toEqual({ inForce: true, helper: true });
    await orm.getMigrator().down('Migration20261206194000');
    expect(await state()).toEqual({ inForce: false, helper: false });
    await orm.getMigrator().up('Migration20261206194000');
    expect(await state()).toEqual({ inForce: true, helper: true });
  } finally {
    await orm.close();
    await db.drop();
  }
});
