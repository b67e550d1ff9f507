import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run typecheck`'s job; tests compile each file alone (tsc still emits decorator metadata).
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
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
