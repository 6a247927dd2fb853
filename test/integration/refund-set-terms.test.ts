import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermissionFlagsBits, type APIEmbed } from 'discord-api-types/v10';
import { buildCommandInteraction } from '../../local/dev-client';
import { localInteractions } from '../../local/interactions-server';
import { handleInteraction, type InteractionDeps } from '../../lambdas/discord/interactions';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { refundStageAnnouncement } from '../../lambdas/discord/render-news';
import { resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { RefundRepo } from '../../lambdas/store/refund-repo';
import { TABLE } from '../../lambdas/store/table';
import { systemClock } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { startTestStore } from '../../testkit/dynamo';
import { LoopbackExchanges } from '../../testkit/exchange-server';
import { generateTestKeys, signedHeaders } from '../support/interactions';
import { BASE, setAll, steady, withHarness, type Harness } from '../support/price-harness';

/**
 * `refund set-terms` by hand, for an incident configured without refund terms: the slash command
 * and the CLI on dynalite, and the price job's below-ref from the terms' time on (never before).
 */

const keys = generateTestKeys();
const ADMIN = PermissionFlagsBits.Administrator;
const MANAGER = PermissionFlagsBits.ManageChannels;
const INCIDENT = DEFAULT_CONFIG.incidents[0]?.id ?? '';

/** The incidents without their refund terms: a hack whose refund is not announced yet. */
function withoutTerms(config: Config): Config {
  return { ...config, incidents: config.incidents.map(({ refund: _none, ...incident }) => incident) };
}

interface Reply {
  data?: { content?: string; embeds?: APIEmbed[] };
}

function deps(h: Harness): InteractionDeps {
  return localInteractions(h.container, {
    publicKey: keys.publicKeyHex,
    followUp: () => createFetchFollowUp({ apiBase: 'http://127.0.0.1:9' }),
    budgetMs: 20_000,
  }).deps;
}

/** A slash command through the signed endpoint; the reply's text (content and embeds). */
async function send(d: InteractionDeps, h: Harness, line: string, permissions = ADMIN): Promise<string> {
  const body = JSON.stringify(buildCommandInteraction(line.split(' '), { permissions }));
  const res = await handleInteraction(
    { headers: signedHeaders(body, keys.privateKey, h.clock.now()), body },
    d,
  );
  const data = (JSON.parse(res.body) as Reply).data;
  const embeds = (data?.embeds ?? []).flatMap((e) => [
    e.title ?? '',
    e.description ?? '',
    ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
  ]);
  return [data?.content ?? '', ...embeds].join('\n');
}

const SET_TERMS =
  'refund set-terms rate:0.00009 currency:BTC reason:press_release venue:Zaif holders:260000 total:46000';

describe('/refund set-terms', () => {
  afterEach(() => resetPriceSourceCache());

  it('is refused without Administrator, and nothing is stored', async () => {
    await withHarness({ configure: withoutTerms }, async (h) => {
      const reply = await send(deps(h), h, SET_TERMS, MANAGER);
      expect(reply).toContain('Administrator');
      expect(await h.container.refunds.history(INCIDENT)).toEqual([]);
    });
  });

  it('sets the terms with an audit entry; /refund show and calc use them; the post says a maintainer set the rate', async () => {
    await withHarness({ configure: withoutTerms }, async (h) => {
      const d = deps(h);
      expect(await send(d, h, 'refund show')).toContain('No refund terms announced yet');
      const reply = await send(d, h, SET_TERMS);
      expect(reply).toContain('0.00009 BTC / XEM');
      expect(reply).toContain('none → terms-fixed');
      const [change] = await h.container.refunds.history(INCIDENT);
      expect(change).toMatchObject({
        from: 'none',
        to: 'terms-fixed',
        at: h.clock.now(),
        auto: false,
        rate: 0.00009,
        currency: 'BTC',
        rateSource: 'maintainer',
        terms: { venue: 'Zaif', holders: 260000, total: 46000 },
        reason: 'press_release',
      });
      expect(change?.actor).toMatch(/^discord:\d+ /);

      const show = await send(d, h, 'refund show');
      expect(show).toContain('0.00009 BTC / XEM** (set by a maintainer)');
      expect(show).toContain('Reference venue: Zaif');
      expect(show).toContain('Holders: about 260,000');
      await steady(h, 1);
      expect(await send(d, h, 'refund calc amount:1000')).toContain('= **0.09 BTC**');

      const incident = h.config.incidents[0];
      if (!change || !incident) throw new Error('expected a change and an incident');
      const post = refundStageAnnouncement(change, incident).render('en');
      expect(JSON.stringify(post.embeds)).toContain('0.00009 BTC / XEM (set by a maintainer)');

      // The same terms again: nothing changes, and the user is told so.
      expect(await send(d, h, SET_TERMS)).toContain('already has these terms');
      expect(await h.container.refunds.history(INCIDENT)).toHaveLength(1);
    });
  });

  it('refuses a bad currency or window, naming the field, and stores nothing', async () => {
    await withHarness({ configure: withoutTerms }, async (h) => {
      const d = deps(h);
      expect(await send(d, h, 'refund set-terms rate:1 currency:yen! reason:x')).toContain(
        'currency must be a code like JPY or USDT (got "YEN!")',
      );
      expect(
        await send(
          d,
          h,
          'refund set-terms rate:1 currency:JPY reason:x window_from:2018-03-12T00:00Z window_to:2018-03-11T00:00Z',
        ),
      ).toContain('window from must be before window to');
      expect(
        await send(d, h, 'refund set-terms rate:1 currency:JPY reason:x window_from:2018-03-12'),
      ).toContain('Give both window_from and window_to');
      expect(await h.container.refunds.history(INCIDENT)).toEqual([]);
    });
  });

  it('the price job compares with the reference only from the terms on: a fall before them never alerts', async () => {
    await withHarness({ configure: withoutTerms }, async (h) => {
      const belowRef = (r: { alerts: { ruleId: string }[] }) =>
        r.alerts.filter((a) => a.ruleId === 'below-ref');
      // 0.000095 and 0.000085 against a refund rate of 0.00009 BTC that does not exist yet.
      setAll(h, BASE * 0.95);
      await h.tick();
      setAll(h, BASE * 0.85);
      expect(belowRef(await h.tick())).toEqual([]);
      expect(belowRef(await h.tick())).toEqual([]);
      await send(deps(h), h, SET_TERMS);
      // Already under the new reference when it appeared: not a crossing.
      expect(belowRef(await h.tick())).toEqual([]);
      expect(belowRef(await h.tick())).toEqual([]);
      // Back above it (past the hysteresis), then under: that is the crossing.
      setAll(h, BASE * 0.95);
      expect(belowRef(await h.tick())).toEqual([]);
      setAll(h, BASE * 0.88);
      const fired = belowRef(await h.tick());
      expect(fired).toHaveLength(1);
      expect(fired[0]).toMatchObject({ referencePrice: 0.00009 });
    });
  });
});

describe('goxwatch refund set-terms (command line)', () => {
  const ROOT = join(__dirname, '..', '..');
  let dir: string;
  let exchanges: LoopbackExchanges;
  let configFile: string;
  let env: Record<string, string>;

  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [join(ROOT, 'bin', 'goxwatch.ts'), ...args, '--config', configFile],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
          timeout: 60_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'goxwatch-terms-'));
    exchanges = await LoopbackExchanges.start(systemClock, ['zaif']);
    const config = withoutTerms({
      ...DEFAULT_CONFIG,
      sources: [{ exchange: 'zaif', symbol: 'XEM/JPY', urls: exchanges.urls('zaif') }],
      feeds: [],
      incidents: DEFAULT_CONFIG.incidents.map((i) => ({ ...i, feeds: [] })),
    });
    delete (config as { chains?: unknown }).chains;
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    env = { GOXWATCH_DATA_DIR: join(dir, 'data'), USER: 'maintainer' };
  });

  afterAll(async () => {
    await exchanges.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the terms with who and when, /refund show then has them; bad input exits 2 naming the flag', async () => {
    const missing = await run(['refund', 'set-terms', '--rate', '88.549', '--reason', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('refund set-terms needs --rate, --currency and --reason');
    const bad = await run(['refund', 'set-terms', '--rate', 'abc', '--currency', 'JPY', '--reason', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rate must be a number (got "abc")');

    const before = Date.now();
    const ok = await run([
      'refund',
      'set-terms',
      '--rate',
      '88.549',
      '--currency',
      'jpy',
      '--venue',
      'Zaif',
      '--window-from',
      '2018-03-12T00:00:00Z',
      '--window-to',
      '2018-03-12T02:00:00Z',
      '--reason',
      'Coincheck press release',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('terms 88.549 JPY (by cli:maintainer), stage none → terms-fixed');

    const show = await run(['cmd', 'refund', 'show']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('88.549 JPY / XEM');
    expect(show.stdout).toContain('set by a maintainer');
    expect(show.stdout).toContain('Reference: Zaif');

    // The audit entry, read from the data folder once the CLI has exited.
    const store = await startTestStore(systemClock, join(dir, 'data', 'dynamo'), TABLE.defaultName);
    try {
      const [change] = await new RefundRepo(store.store, systemClock).history(INCIDENT);
      expect(change).toMatchObject({
        actor: 'cli:maintainer',
        reason: 'Coincheck press release',
        rate: 88.549,
      });
      expect(change?.at).toBeGreaterThanOrEqual(before);
    } finally {
      await store.close();
    }
  }, 150_000); // four fresh processes (tsx start-up, dynalite): minutes on a busy machine, not a speed claim
});
