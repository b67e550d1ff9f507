import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run typecheck`'s job. Tests compile each file alone with swc, with the
    // options of tsconfig.json that change the emitted code: legacy decorators with their metadata
    // (type-graphql and MikroORM read `design:type`), no define semantics for class fields, ES2022,
    // CommonJS. swc does it in a fraction of ts-jest's time, which a fresh clone (an empty transform
    // cache) pays once per worker for the ~250 modules of the app.
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    }],
  },
  setupFiles: ['reflect-metadata'],
  globalSetup: '<rootDir>/tests/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/tests/helpers/global-teardown.ts',
  testTimeout: 60_000,
  // 2 cores: two workers keep the machine busy without thrashing PostgreSQL.
  maxWorkers: 2,
  // Longest files first, from test-durations.json when jest has no timings of its own yet (a fresh clone).
  testSequencer: '<rootDir>/tests/helpers/sequencer.js',
  reporters: ['default', '<rootDir>/tests/helpers/summary-reporter.js'],
};

export default config;
