import fs from 'node:fs';
import { adminQuery } from './pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.RAPPORT_TEST_ADMIN_URL;
  const template = process.env.RAPPORT_TEST_TEMPLATE;
  if (adminUrl && template) await adminQuery(adminUrl, `drop database if exists ${template} with (force)`);
  const state = (globalThis as { __rapportEmbedded?: { embedded: { stop(): Promise<void> }; dataDir: string } }).__rapportEmbedded;
  if (state) {
    await state.embedded.stop();
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  }
}
