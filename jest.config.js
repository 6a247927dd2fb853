/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // ESM-only packages that ccxt's CommonJS build requires (see test/support/esm-to-cjs.js).
    '/node_modules/@(noble|scure)/.+\\.js$': '<rootDir>/test/support/esm-to-cjs.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!@(noble|scure)/)'],
  // An outer safety limit only: tests wait on events, and processes spawned on a loaded machine (npm run
  // test:loaded) take minutes, not seconds. No test relies on it for its verdict.
  testTimeout: 180_000,
  // Integration tests start loopback servers and dynalite; two workers fit this 2-core machine.
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/support/env-setup.js'],
  reporters: ['default', '<rootDir>/test/support/count-reporter.js'],
};
