import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type Config } from '../../lambdas/domain/config';
import { loadConfig } from '../../lambdas/app/config-file';

/** Config faults that used to hide: a BOM refused, duplicate ids accepted silently. */

function problemsOf(change: (c: Config) => void): string[] {
  const copy = structuredClone(DEFAULT_CONFIG);
  change(copy);
  try {
    parseConfig(copy);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config faults say their cause', () => {
  it('a config file saved with a BOM (UTF-8 with signature) is accepted', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'goxwatch-config-')), 'bom.json');
    writeFileSync(file, '\uFEFF' + JSON.stringify(DEFAULT_CONFIG), 'utf8');
    expect(loadConfig({ file, env: {} }).config).toEqual(DEFAULT_CONFIG);
  });

  it('duplicate channel ids are refused, naming the field', () => {
    const ch = { id: '700000000000000001', kinds: ['price' as const] };
    expect(problemsOf((c) => (c.channels = [ch, { ...ch }]))).toEqual([
      'channels.1.id: duplicate channel id "700000000000000001"',
    ]);
  });

  it('duplicate feed ids are refused, naming the field', () => {
    expect(problemsOf((c) => c.feeds.push({ ...c.feeds[0]!, url: 'https://example.org/other.rss' }))).toEqual(
      [`feeds.${DEFAULT_CONFIG.feeds.length}.id: duplicate feed id "${DEFAULT_CONFIG.feeds[0]!.id}"`],
    );
  });
});
