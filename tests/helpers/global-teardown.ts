import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __rapportEmbedded?: { embedded: { stop(): Promise<void> }; dataDir: string } }).__rapportEmbedded;
  if (state) {
    await state.embedded.stop();
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  }
}
