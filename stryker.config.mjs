// @ts-check
/**
 * Mutation testing (npm run test:mutation; README "Mutation testing"). One Stryker run per scope:
 * the modules where a silent bug costs most, each with the test files that are meant to catch its
 * bugs (not every test that happens to import it, which would be the whole suite). Incremental: the
 * result of the last run of each scope is kept in mutation/<scope>.incremental.json (committed), so a
 * run after a change only re-tests mutants in changed code or covered by changed tests.
 *
 * MUTATION_SCOPE picks the scope; scripts/mutation.mjs runs them in turn and prints per-module scores.
 */
export const SCOPES = {
  money: { mutate: ['src/schema/money.ts'], tests: ['tests/unit/primitives.test.ts'], db: false },
  'global-id': { mutate: ['src/schema/global-id.ts'], tests: ['tests/unit/primitives.test.ts'], db: false },
  // Its own file: cursors and forgeries, first's bounds, the array literals, keyset pages over tied rows,
  // joins, expressions and counts (customer-graph.test.ts reached little of it once the read planner came).
  pagination: { mutate: ['src/services/pagination.ts'], tests: ['tests/integration/pagination.test.ts'], db: true },
  // The policy table is module-level data: Stryker runs every test of the scope against such "static"
  // mutants, so this scope's tests are the light ones that compare the table with the reviewed
  // expectations (no schema building, no I/O: seconds per mutant).
  policy: {
    mutate: ['src/auth/policy.ts', 'src/auth/policy-doc.ts'],
    tests: ['tests/unit/policy.test.ts'],
    db: false,
  },
  // Access decisions, tokens, pseudonyms and authentication, at unit level. The jest runner loads every
  // test file of a scope for every mutant (it filters tests by name), so a scope keeps to files whose
  // imports are light: the permission layer's tests build the whole schema and have their own scope.
  auth: {
    mutate: ['src/auth/**/*.ts', '!src/auth/policy.ts', '!src/auth/policy-doc.ts', '!src/auth/api-keys.ts', '!src/auth/audit.ts'],
    tests: ['tests/unit/auth.test.ts'],
    db: false,
  },
  // The permission layer. Its rule tree is built at module load (static mutants, each would rerun the
  // whole scope with a schema build): those are ignored here; the tree's content is what the `policy`
  // scope's expectation test and tests/authz/policy-files.test.ts's snapshot check.
  // What each role may see is still proven on the served schema over HTTP by the authz suite.
  permissions: {
    mutate: ['src/schema/permissions.ts'],
    tests: ['tests/unit/permissions.test.ts', 'tests/unit/permissions-subscriptions.test.ts', 'tests/authz/verdict-now.test.ts'],
    db: false,
    ignoreStatic: true,
  },
  // API keys are looked up in PostgreSQL, and the audit log is written there: the served-schema tests,
  // with the files that create, rotate, revoke and refuse keys.
  'auth-db': {
    mutate: ['src/auth/api-keys.ts', 'src/auth/audit.ts'],
    tests: ['tests/authz/privacy.test.ts', 'tests/integration/api-key-rotation.test.ts', 'tests/integration/admin-mutations-validation.test.ts', 'tests/integration/audit-log.test.ts'],
    db: true,
    // The module-level key pattern and digest (57 static mutants) would each rerun all three files
    // with a server start: hours on the shared machine. api-key-rotation.test.ts pins the pattern.
    ignoreStatic: true,
  },
  privacy: { mutate: ['src/services/privacy.service.ts'], tests: ['tests/authz/privacy.test.ts'], db: true },
  // MERGE_POLICY parsing and matching is pure: a unit file kills its mutants in seconds each.
  'merge-policy': { mutate: ['src/services/merge-policy.ts'], tests: ['tests/unit/merge-policy.test.ts'], db: false },
  merge: { mutate: ['src/services/merge.service.ts'], tests: ['tests/integration/merges.test.ts'], db: true },
  // Every criterion and sort key of `customers` with data on both sides of each boundary, the write
  // guard and the identifier lookup: one file, one test database per mutant run.
  customer: { mutate: ['src/services/customer.service.ts'], tests: ['tests/integration/customer-filters.test.ts'], db: true },
  // The core's pure rules: who may do what (rules.ts) and the checks and prices of an order
  // (orders.ts; its SQL text, lines 103-115, is the ingestion scope's), against a unit file of hand-written
  // expectations and boundaries: about a second a mutant, where the database scope takes 20-60.
  'ingestion-rules': {
    mutate: ['src/ingestion/rules.ts', 'src/ingestion/orders.ts:31-78'],
    tests: ['tests/unit/ingestion-rules.test.ts'],
    db: false,
  },
  // The ingestion core (one pipeline for the mutations, ingestEvents, tracking and the import CLI),
  // through its behaviour, with the light files only, each a few seconds a mutant (measured 2026-12-06
  // 21:53 UTC, load 2, one core.ts mutant applied by hand: 3.0 s, 2.4 s and 3.2 s of jest time):
  // ingestion-identify.test.ts (profile fields and provenance, junk, the merge decision, the single
  // mutations' errors), ingestion-batch.test.ts (each check of an event, repeats in a batch, replay
  // digests, new people, first/last seen) and ingest.test.ts (the GraphQL batch mutation).
  // tests/integration/ingestion-parity.test.ts is left out on purpose: it starts five servers and two
  // CLI processes for every mutant (~40 s each: a day for the scope's mutants on the shared
  // machine), and the jest runner loads every file of a scope for every mutant. It stays in the normal
  // suite, where it checks that the four paths agree.
  ingestion: {
    mutate: ['src/ingestion/*.ts'],
    tests: [
      'tests/integration/ingestion-identify.test.ts', 'tests/integration/ingestion-batch.test.ts',
      'tests/integration/ingest.test.ts',
    ],
    db: true,
    // The three files run in ~10 s under load; a mutant that makes a batch wait for ever (the slots,
    // the retry loop) is a timeout after 20 s instead of a minute.
    timeoutMS: 20_000,
  },
  // The CLV models, in three scopes so that each finishes in one sitting on the shared machine, with fast
  // files of their own: tests/unit/models-special.test.ts (ln Γ, ₂F₁ against mpmath, under a second),
  // models-closed-forms (BG/NBD, MBG/NBD, Gamma-Gamma and CLV against mpmath tables) and models-fits (fits
  // on a 600-customer sample, the optimiser, Hessian, model choice, simulation: a few seconds). The
  // minute-long recovery studies (clv-models, purchase-models) stay in the normal suite only.
  // A mutant that makes a loop run for ever times out after timeoutMS (+ 1.5 × the tests' own time).
  'models-special': {
    mutate: ['src/analytics/models/special.ts', 'src/analytics/models/common.ts'],
    tests: ['tests/unit/models-special.test.ts'],
    db: false,
    timeoutMS: 5_000,
  },
  'models-bgnbd': {
    mutate: ['src/analytics/models/bgnbd.ts', 'src/analytics/models/clv.ts'],
    tests: ['tests/unit/models-closed-forms.test.ts', 'tests/unit/models-fits.test.ts'],
    db: false,
    timeoutMS: 10_000,
  },
  'models-fit': {
    mutate: ['src/analytics/models/gamma-gamma.ts', 'src/analytics/models/optimize.ts', 'src/analytics/models/hessian.ts', 'src/analytics/models/selection.ts', 'src/analytics/models/simulate.ts', 'src/analytics/models/index.ts'],
    tests: ['tests/unit/models-closed-forms.test.ts', 'tests/unit/models-fits.test.ts'],
    db: false,
    timeoutMS: 10_000,
  },
  // recompute.ts's SQL is string literals (mutated only whole, which any run kills); the rest is its options,
  // the model fits' guards, the prediction grid and the swap. One file runs it with each option on 70
  // customers (~10 s a mutant under load); analytics.test.ts (300 demo customers, ~20 s) and
  // rfm-quintiles.test.ts (the quintile cut points: SQL text) stay in the normal suite.
  recompute: { mutate: ['src/analytics/recompute.ts'], tests: ['tests/integration/recompute-runs.test.ts'], db: true },
};

const scopeName = process.env.MUTATION_SCOPE ?? 'money';
const scope = SCOPES[/** @type {keyof typeof SCOPES} */ (scopeName)];
if (!scope) throw new Error(`MUTATION_SCOPE=${scopeName}: one of ${Object.keys(SCOPES).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
const config = {
  testRunner: 'jest',
  plugins: ['@stryker-mutator/jest-runner'],
  mutate: scope.mutate,
  coverageAnalysis: 'perTest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.ts',
    enableFindRelatedTests: false,
    config: {
      testMatch: scope.tests.map((t) => `<rootDir>/${t}`),
      // Unit scopes need no database; database scopes reuse one template per worker (see global-setup).
      ...(scope.db ? { globalTeardown: undefined } : { globalSetup: undefined, globalTeardown: undefined }),
      reporters: ['default'],
      maxWorkers: 1,
    },
  },
  // 2 cores shared with PostgreSQL: one test process.
  concurrency: 1,
  incremental: true,
  ignoreStatic: scope.ignoreStatic ?? false,
  // The model-fitting tests take minutes on a loaded machine.
  dryRunTimeoutMinutes: 30,
  incrementalFile: `mutation/${scopeName}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${scopeName}.json` },
  tempDirName: '.stryker-tmp',
  timeoutMS: scope.timeoutMS ?? 60_000,
  cleanTempDir: 'always',
};
export default config;
