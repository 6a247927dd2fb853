import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layering (README "For developers"): what each wing of lambdas/ may import. Imports are
 * relative, so a rule forbids any path that walks into a forbidden folder.
 */
const IO_LIBRARIES = [
  '@aws-sdk/*',
  'ccxt',
  'ccxt/*',
  'discord.js',
  '@discordjs/*',
  'rss-parser',
  'dynalite',
  'ws',
];
const NEVER_FROM_LAMBDAS = {
  regex: '(^|/)(local|testkit|bin|test|bench|lib)/',
  message: 'lambdas/ is what AWS runs: it never imports the local runner, tests, bench, bin or the stack.',
};
function layer(files, forbiddenWings, why, extra = {}) {
  const patterns = [NEVER_FROM_LAMBDAS];
  if (forbiddenWings.length) patterns.push({ regex: `(^|/)(${forbiddenWings.join('|')})/`, message: why });
  if (extra.group) patterns.push(extra.group);
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '.data/', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-console': 'off',
    },
  },

  layer(
    ['lambdas/domain/**/*.ts'],
    ['sources', 'store', 'discord', 'app', 'handlers'],
    'domain/ is pure: it imports nothing of the other wings.',
    {
      group: {
        group: IO_LIBRARIES,
        message: 'domain/ is pure: no I/O libraries (types from discord-api-types are fine).',
      },
    },
  ),
  layer(
    ['lambdas/sources/**/*.ts'],
    ['store', 'discord', 'app', 'handlers'],
    'sources/ only reads the outside world: no store, Discord or app.',
  ),
  layer(
    ['lambdas/store/**/*.ts'],
    ['sources', 'discord', 'app', 'handlers'],
    'store/ knows the table only: no sources, Discord or app.',
  ),
  layer(
    ['lambdas/discord/**/*.ts'],
    ['sources', 'app', 'handlers'],
    'discord/ renders and talks to Discord: it does not run jobs or read sources.',
  ),
  layer(['lambdas/app/**/*.ts'], ['handlers'], 'app/ is imported by handlers, never the reverse.'),
  layer(
    ['lambdas/handlers/**/*.ts'],
    ['domain', 'sources', 'store', 'discord'],
    'handlers/ are thin: they import app/ only.',
  ),
  {
    files: [
      'lambdas/**/*.ts',
      'local/**/*.ts',
      'bin/**/*.ts',
      'lib/**/*.ts',
      'testkit/**/*.ts',
      'bench/**/*.ts',
    ],
    ignores: [
      // Exemptions, each with its reason; shrink this list, do not grow it.
      'local/replay/replay.ts', // the replay's scripted timeline in one place
    ],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Focused or skipped tests never land.
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[object.name=/^(it|test|describe)$/][property.name=/^(only|skip)$/]',
          message: 'No focused or skipped tests.',
        },
        { selector: 'CallExpression[callee.name=/^x(it|describe|test)$/]', message: 'No skipped tests.' },
      ],
    },
  },
);
