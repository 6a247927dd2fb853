import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../lambdas/app/config-file';
import { ConfigError, DEFAULT_CONFIG, parsePartialConfig } from '../../lambdas/domain/config';
import { blindSpots, watchSummary } from '../../lambdas/domain/config-summary';
import { knownTermsOf, referenceFor } from '../../lambdas/domain/reference';

const ROOT = join(__dirname, '..', '..');
const CHANNEL = '123456789012345678';

function problemsOf(raw: unknown): string[] {
  try {
    parsePartialConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** The ```json blocks of the README's "Configuration" section, in order. */
function readmeConfigBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration\n'));
  const body = section.slice(0, section.indexOf('\n## ', 5));
  return [...body.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

const BTC_INCIDENT = {
  id: 'dmm-bitcoin-2024',
  name: { en: 'DMM Bitcoin', ja: 'DMMビットコイン' },
  asset: 'BTC',
  startedAt: '2024-05-31T04:26:00Z',
  keywords: { en: ['DMM Bitcoin', 'DMM'], ja: ['DMMビットコイン', '不正流出'] },
};

describe('partial configs merged over the default', () => {
  it('a config with only one channel keeps every default and adds the channel', () => {
    const config = parsePartialConfig({ channels: [{ id: CHANNEL, kinds: ['price'] }] });
    expect(config.channels).toEqual([{ id: CHANNEL, kinds: ['price'] }]);
    expect(config.sources).toEqual(DEFAULT_CONFIG.sources);
    expect(config.incidents).toEqual(DEFAULT_CONFIG.incidents);
    expect(config.rules).toEqual(DEFAULT_CONFIG.rules);
  });

  it('objects merge key by key while lists replace the default list', () => {
    const config = parsePartialConfig({ rules: { drops: [{ percent: 20, windowMinutes: 60 }] } });
    expect(config.rules.drops).toEqual([{ percent: 20, windowMinutes: 60 }]);
    expect(config.rules.cooldownMinutes).toBe(DEFAULT_CONFIG.rules.cooldownMinutes);
    expect(config.intervals).toEqual(DEFAULT_CONFIG.intervals);
  });

  it('a built-in incident named by id stands for the whole incident, next to a new one', () => {
    const config = parsePartialConfig({ incidents: ['coincheck-nem-2018', BTC_INCIDENT] });
    expect(config.incidents.map((i) => i.id)).toEqual(['coincheck-nem-2018', 'dmm-bitcoin-2024']);
    expect(config.incidents[0]).toEqual(DEFAULT_CONFIG.incidents[0]);
    // An incident needs only id, names, asset, start and keywords.
    expect(config.incidents[1]?.refund).toBeUndefined();
    expect(config.incidents[1]?.feeds).toEqual([]);
  });

  it('an unknown built-in incident id is refused, naming the known ones', () => {
    expect(problemsOf({ incidents: ['mtgox-2014'] })).toEqual([
      'incidents.0: unknown built-in incident "mtgox-2014" (built in: coincheck-nem-2018; or write the incident as an object)',
    ]);
  });

  it('a typo in a partial config is still refused by name', () => {
    expect(problemsOf({ chanels: [] }).join('\n')).toMatch(/chanels/);
    expect(problemsOf({ rules: { cooldownMinuts: 5 } }).join('\n')).toMatch(/cooldownMinuts/);
  });

  it('the old global rules.referencePrices is refused with where the reference went', () => {
    expect(problemsOf({ rules: { referencePrices: { JPY: 88.549 } } })).toEqual([
      expect.stringMatching(/^rules\.referencePrices: moved: .*incidents\[\]\.refund\.rate.*adr\/0007/),
    ]);
  });
});

describe('the README configuration section', () => {
  it('starts from a three-line config that loads', () => {
    const [first] = readmeConfigBlocks();
    expect(first?.trim().split('\n')).toHaveLength(3);
    const config = parsePartialConfig(JSON.parse(first ?? ''));
    expect(config.channels).toHaveLength(1);
    expect(blindSpots({ config }).map((l) => l.en)).toEqual([]);
  });

  it('its fuller example is examples/config.json, and that file loads', () => {
    const blocks = readmeConfigBlocks().map((b) => JSON.parse(b) as unknown);
    const file = join(ROOT, 'examples', 'config.json');
    expect(blocks).toContainEqual(JSON.parse(readFileSync(file, 'utf8')));
    const { config } = loadConfig({ file, env: {} });
    expect(config.sources.map((s) => `${s.exchange} ${s.symbol}`)).toEqual([
      'zaif XEM/JPY',
      'hitbtc XEM/USDT',
    ]);
    expect(config.rules.drops[1]).toEqual({ percent: 15, windowMinutes: 1440 });
    expect(config.intervals).toEqual({ priceSeconds: 120, newsSeconds: 300 });
    expect(config.feeds).toEqual(DEFAULT_CONFIG.feeds);
  });
});

describe('the reference price belongs to the incident', () => {
  const config = parsePartialConfig({
    sources: [
      { exchange: 'zaif', symbol: 'XEM/JPY' },
      { exchange: 'hitbtc', symbol: 'XEM/USDT' },
      { exchange: 'zaif', symbol: 'BTC/JPY' },
      { exchange: 'binance', symbol: 'XEM/BTC' },
    ],
    incidents: ['coincheck-nem-2018', BTC_INCIDENT],
  });

  it("a series takes its own asset's incident rate, or a declared conversion with its date and source", () => {
    expect(referenceFor(config, 'XEM/JPY')).toEqual({
      price: 88.549,
      currency: 'JPY',
      incidentId: 'coincheck-nem-2018',
      basis: 'refund',
    });
    expect(referenceFor(config, 'XEM/USDT')).toMatchObject({
      price: 0.8146,
      basis: 'conversion',
      date: '2018-01-26',
    });
  });

  it("a BTC/JPY series is never compared with XEM's refund rate, and XEM/BTC has none either", () => {
    expect(referenceFor(config, 'BTC/JPY')).toBeUndefined();
    expect(referenceFor(config, 'XEM/BTC')).toBeUndefined();
  });

  it('a rate stored later (evidence or by hand) gives the incident a reference without a redeploy', () => {
    const known = knownTermsOf([{ incidentId: 'dmm-bitcoin-2024', rate: 9_000_000, currency: 'JPY' }]);
    expect(referenceFor(config, 'BTC/JPY', known)).toMatchObject({ price: 9_000_000, basis: 'refund' });
    expect(referenceFor(config, 'XEM/JPY', known)?.price).toBe(88.549);
  });

  it("a stored rate that differs from the config's drops the conversions declared for the old one", () => {
    const known = knownTermsOf([{ incidentId: 'coincheck-nem-2018', rate: 90, currency: 'JPY' }]);
    expect(referenceFor(config, 'XEM/JPY', known)?.price).toBe(90);
    expect(referenceFor(config, 'XEM/USDT', known)).toBeUndefined();
  });
});

describe('say when nothing will be seen', () => {
  it('the default config says one line: no channel subscribed', () => {
    expect(blindSpots({ config: DEFAULT_CONFIG }).map((l) => l.en)).toEqual([
      expect.stringMatching(/^no channel subscribed/),
    ]);
  });

  it('a channel subscribed with /alerts (counted from the store) silences that line', () => {
    expect(blindSpots({ config: DEFAULT_CONFIG, subscribedChannels: 1 }).map((l) => l.en)).toEqual([]);
  });

  it('no incident matching any feed and a series with no reference are one line each', () => {
    const config = parsePartialConfig({
      channels: [{ id: CHANNEL, kinds: ['price'] }],
      sources: [
        { exchange: 'zaif', symbol: 'XEM/JPY' },
        { exchange: 'zaif', symbol: 'BTC/JPY' },
      ],
      feeds: [],
      incidents: [{ ...DEFAULT_CONFIG.incidents[0], feeds: [] }, BTC_INCIDENT],
    });
    expect(blindSpots({ config }).map((l) => l.en)).toEqual([
      'no incident matches any feed: no news will be posted (list feed ids in an incident, or /feeds add)',
      'series BTC/JPY has no reference price: no below-reference alert (no refund rate in JPY announced or declared for BTC)',
    ]);
  });

  it('the second example incident loads next to the first and says its BTC series has no reference', () => {
    const { config } = loadConfig({ file: join(ROOT, 'examples', 'dmm-bitcoin-2024.json'), env: {} });
    expect(config.incidents.map((i) => [i.id, i.asset, i.refund?.rate])).toEqual([
      ['coincheck-nem-2018', 'XEM', 88.549],
      ['dmm-bitcoin-2024', 'BTC', undefined],
    ]);
    expect(blindSpots({ config }).map((l) => l.en)).toEqual([
      expect.stringMatching(/^series BTC\/JPY has no reference price/),
    ]);
    expect(watchSummary(config)).toContain('  BTC/JPY: zaif, kraken; no reference');
  });
});
