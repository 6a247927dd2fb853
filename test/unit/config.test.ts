import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type Config } from '../../lambdas/domain/config';
import { loadConfig } from '../../lambdas/app/config-file';

function withChanges(change: (c: Config) => void): unknown {
  const copy = structuredClone(DEFAULT_CONFIG);
  change(copy);
  return copy;
}

function problemsOf(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config validation', () => {
  it('the built-in default is valid and watches zaif XEM/JPY with the refund reference', () => {
    const config = parseConfig(DEFAULT_CONFIG);
    expect(config.sources).toContainEqual({ exchange: 'zaif', symbol: 'XEM/JPY' });
    expect(config.incidents[0]?.refund?.rate).toBe(88.549);
    expect(config.intervals.priceSeconds).toBe(60);
  });

  it('the default incident watches the Coincheck hot wallet (victim) and the first attacker account', () => {
    const config = parseConfig(DEFAULT_CONFIG);
    expect(config.incidents[0]?.watch).toEqual([
      expect.objectContaining({ address: 'NC3BI3DNMR2PGEOOMP2NKXQGSAKMS7GYRKVA5CSZ', role: 'victim' }),
      expect.objectContaining({ address: 'NC4C6PSUW5CLTDT5SXAGJDQJGZNESKFK5MCN77OG', role: 'attacker' }),
    ]);
    expect(config.chains?.nem?.nodes.length).toBeGreaterThan(1);
  });

  it('a watched address with a bad checksum is refused, naming the field and the address', () => {
    const problems = problemsOf(
      withChanges((c) => (c.incidents[0]!.watch![1]!.address = 'NC4C6PSUW5CLTDT5SXAGJDQJGZNESKFK5MCN77OA')),
    );
    expect(problems).toEqual([
      'incidents.0.watch.1.address: NEM address "NC4C6PSUW5CLTDT5SXAGJDQJGZNESKFK5MCN77OA" has a bad checksum (a typo?)',
    ]);
  });

  it('a watch list without chains.nem nodes is refused', () => {
    const problems = problemsOf(withChanges((c) => delete c.chains));
    expect(problems).toContain('incidents.0.watch.0: needs chains.nem (nodes)');
  });

  it('a bad symbol names the field and the reason', () => {
    const problems = problemsOf(withChanges((c) => (c.sources[0]!.symbol = 'xem-jpy')));
    expect(problems).toEqual(['sources.0.symbol: must be a unified symbol like XEM/JPY']);
  });

  it('a channel with no kinds and a non-numeric id is refused with both reasons', () => {
    const problems = problemsOf(withChanges((c) => c.channels.push({ id: 'general', kinds: [] })));
    expect(problems).toEqual(
      expect.arrayContaining([
        'channels.0.id: must be a Discord channel id (digits)',
        'channels.0.kinds: must list at least one of price, news, refund, chain',
      ]),
    );
  });

  it('a 0 % drop rule is refused', () => {
    const problems = problemsOf(withChanges((c) => (c.rules.drops[0]!.percent = 0)));
    expect(problems).toEqual(['rules.drops.0.percent: must be above 0']);
  });

  it('an unknown field is refused rather than silently ignored', () => {
    const problems = problemsOf({ ...DEFAULT_CONFIG, sorces: [] });
    expect(problems.join('\n')).toMatch(/sorces/);
  });

  it('an incident naming an unknown feed is refused', () => {
    const problems = problemsOf(withChanges((c) => c.incidents[0]!.feeds.push('nope')));
    expect(problems).toEqual(['incidents.0.feeds.4: unknown feed id "nope"']);
  });

  it('official sources naming an unknown feed or a domain that is not a host name are refused', () => {
    const problems = problemsOf(
      withChanges((c) => (c.incidents[0]!.officialSources = { feeds: [], domains: ['https://x.jp/'] })),
    );
    expect(problems).toEqual([
      'incidents.0.officialSources.domains.0: must be a lower-case host name like coincheck.com',
    ]);
    expect(
      problemsOf(withChanges((c) => (c.incidents[0]!.officialSources = { feeds: ['nope'], domains: [] }))),
    ).toEqual(['incidents.0.officialSources.feeds.0: unknown feed id "nope"']);
  });

  it('a config file with broken JSON says which file and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "sources": [ }');
    expect(() => loadConfig({ file, env: {} })).toThrow(/bad\.json: not valid JSON/);
  });

  it('GOXWATCH_CONFIG points at a file whose fields are validated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(withChanges((c) => (c.intervals.priceSeconds = 1))));
    expect(() => loadConfig({ env: { GOXWATCH_CONFIG: file } })).toThrow(/intervals\.priceSeconds/);
  });

  it('no file and no env gives the built-in default', () => {
    expect(loadConfig({ env: {} }).origin).toBe('built-in default');
  });
});
