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
