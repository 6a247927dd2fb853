import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MINUTE, systemClock } from '../../lambdas/domain/clock';
import { PriceRepo } from '../../lambdas/store/price-repo';
import { TABLE } from '../../lambdas/store/table';
import { startTestStore } from '../../testkit/dynamo';
import { DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { LoopbackExchanges } from '../../testkit/exchange-server';
import { startNemNode, type NemNode } from '../../testkit/nem-server';
import { runCli as run } from '../support/run-cli';

/**
 * The command line as a user runs it (`npm start -- --once`): a fresh process, the embedded store on
 * disk, real ccxt against loopback exchanges, the real Discord client against a loopback Discord.
 */

const PRICE_CHANNEL = '200000000000000001';
const SYMBOL = 'XEM/BTC';

describe('goxwatch command line', () => {
  let exchanges: LoopbackExchanges;
  let discord: DiscordServer;
  let nemNode: NemNode;
  let dir: string;
  let configFile: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    exchanges = await LoopbackExchanges.start(systemClock, ['zaif', 'binance', 'upbit']);
    discord = await startDiscordServer();
    nemNode = await startNemNode({ chain: { transfers: [] } });
    dir = mkdtempSync(join(tmpdir(), 'goxwatch-cli-'));
    const config: Config = {
      ...DEFAULT_CONFIG,
      sources: (['zaif', 'binance', 'upbit'] as const).map((id) => ({
        exchange: id,
        symbol: SYMBOL,
        urls: exchanges.urls(id),
      })),
      channels: [{ id: PRICE_CHANNEL, kinds: ['price'], language: 'en' }],
      // No feeds: this file is about the price path and the exit codes.
      feeds: [],
      incidents: [{ ...DEFAULT_CONFIG.incidents[0]!, feeds: [] }],
      // The chain watch runs on --once too: against a loopback NIS1 node, never the real ones.
      chains: { nem: { ...DEFAULT_CONFIG.chains!.nem!, nodes: [nemNode.baseUrl] } },
    };
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    env = {
      GOXWATCH_DATA_DIR: join(dir, 'data'),
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_BASE: discord.apiBase,
    };
  });

  afterAll(async () => {
    await exchanges.close();
    await discord.close();
    await nemNode.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--once exits 0 after a cycle, and a 12 % drop on the next run posts one alert that pings nobody', async () => {
    for (const id of ['zaif', 'binance', 'upbit'] as const) exchanges.setPrice(id, SYMBOL, 0.0001);
    // The bot has watched for a while (a 1 h drop window needs samples spanning it): earlier
    // consensus in the data folder, written before any CLI process opens it.
    const seed = await startTestStore(
      systemClock,
      join(env.GOXWATCH_DATA_DIR ?? '', 'dynamo'),
      TABLE.defaultName,
    );
    try {
      const prices = new PriceRepo(seed.store, systemClock);
      for (const minutesAgo of [23 * 60, 120, 75]) {
        const at = Date.now() - minutesAgo * MINUTE;
        const used = (['zaif', 'binance', 'upbit'] as const).map((exchange) => ({
          sourceId: `${exchange}:${SYMBOL}`,
          exchange,
          symbol: SYMBOL,
          price: 0.0001,
          timestamp: at,
          fetchedAt: at,
        }));
        await prices.putConsensus({ symbol: SYMBOL, price: 0.0001, used, dropped: [] }, at, 35);
      }
    } finally {
      await seed.close();
    }
    const first = await run(['start', '--once', '--config', configFile], env);
    // What this config leaves unseen, said once at start: one line each.
    expect(first.stderr.trim().split('\n')).toEqual([
      'goxwatch: no incident matches any feed: no news will be posted (list feed ids in an incident, or /feeds add)',
      'goxwatch: series XEM/BTC has no reference price: no below-reference alert (no refund rate in BTC announced or declared for XEM)',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/sources 3\/3 ok/);
    expect(discord.messages).toHaveLength(0);

    exchanges.setPriceEverywhere(SYMBOL, 0.000088);
    const second = await run(['start', '--once', '--config', configFile], env);
    expect(second.code).toBe(0);
    expect(discord.messagesIn(PRICE_CHANNEL)).toHaveLength(1);
    const posted = discord.messagesIn(PRICE_CHANNEL)[0]!;
    expect(posted.payload.allowed_mentions).toEqual({ parse: [] });
    expect(JSON.stringify(posted.payload.embeds)).toMatch(/-12/);
    // The token never reaches the output.
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(discord.token);

    // The store on disk kept the series and the cooldown: a third run posts nothing new.
    const third = await run(['start', '--once', '--config', configFile], env);
    expect(third.code).toBe(0);
    expect(discord.messagesIn(PRICE_CHANNEL)).toHaveLength(1);
  });

  it('--once exits 1 and says so when every exchange is unreachable', async () => {
    for (const id of ['zaif', 'binance', 'upbit'] as const) await exchanges.setMode(id, 'refuse');
    try {
      const result = await run(['start', '--once', '--config', configFile], {
        ...env,
        GOXWATCH_DATA_DIR: join(dir, 'offline'),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/every price source failed/);
      expect(result.stderr).toMatch(/npm run replay/);
    } finally {
      for (const id of ['zaif', 'binance', 'upbit'] as const) await exchanges.setMode(id, 'up');
    }
  });

  it('a bad config exits 2 naming the field and the reason', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ ...DEFAULT_CONFIG, intervals: { priceSeconds: 0, newsSeconds: 300 } }),
    );
    const result = await run(['start', '--once', '--config', bad], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/intervals\.priceSeconds/);
  });

  it('a watched NEM address with a bad checksum exits 2 naming the field and the address', async () => {
    const bad = join(dir, 'bad-address.json');
    const incident = DEFAULT_CONFIG.incidents[0]!;
    const typo = 'NC3BI3DNMR2PGEOOMP2NKXQGSAKMS7GYRKVA5CSA';
    writeFileSync(
      bad,
      JSON.stringify({
        ...DEFAULT_CONFIG,
        incidents: [{ ...incident, watch: [{ chain: 'nem', address: typo, role: 'victim' }] }],
      }),
    );
    const result = await run(['start', '--once', '--config', bad], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`incidents.0.watch.0.address: NEM address "${typo}" has a bad checksum`);
  });

  it('an exchange ccxt goxwatch does not support exits 2 naming the source', async () => {
    const bad = join(dir, 'unsupported.json');
    writeFileSync(
      bad,
      JSON.stringify({ ...DEFAULT_CONFIG, sources: [{ exchange: 'nosuchx', symbol: 'XEM/JPY' }] }),
    );
    const result = await run(['start', '--once', '--config', bad], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/sources: .*nosuchx/);
  });

  it('refund set-stage records the change and refuses an unknown stage with exit 2', async () => {
    const ok = await run(
      ['refund', 'set-stage', 'announced', '--reason', 'press release', '--config', configFile],
      env,
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/none → announced/);
    const bad = await run(['refund', 'set-stage', 'refunded', '--reason', 'x', '--config', configFile], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown stage "refunded"/);
  });

  it('feeds enable refuses a feed the config does not have, with exit 2', async () => {
    const result = await run(['feeds', 'enable', 'coinpost', '--config', configFile], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown feed "coinpost"/);
  });

  it('cmd answers a slash command with no bot running, from the same store', async () => {
    const result = await run(['cmd', 'refund', 'calc', 'amount:1000', '--config', configFile], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/88,549 JPY/);
  });

  it('cmd --locale ja --save shows the Japanese reply and writes the /price chart as a PNG', async () => {
    const chart = join(dir, 'chart.png');
    const result = await run(
      ['cmd', 'price', '--locale', 'ja', '--save', chart, '--config', configFile],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('■ XEM の価格');
    expect(result.stdout).toContain(`saved chart.png`);
    expect(readFileSync(chart).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });
});

describe('goxwatch config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'goxwatch-config-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('config print of a one-channel partial config round-trips through config check', async () => {
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify({ channels: [{ id: PRICE_CHANNEL, kinds: ['price'] }] }));
    const printed = await run(['config', 'print', '--config', partial], {});
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    const effective = JSON.parse(printed.stdout) as Config;
    expect(effective.channels).toEqual([{ id: PRICE_CHANNEL, kinds: ['price'] }]);
    expect(effective.sources).toEqual(DEFAULT_CONFIG.sources);

    const full = join(dir, 'effective.json');
    writeFileSync(full, printed.stdout);
    const checked = await run(['config', 'check', full], {});
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(`${full}: valid`);
    expect(checked.stdout).toContain('  XEM/JPY: zaif; reference 88.549 JPY (coincheck-nem-2018, refund)');
    expect(checked.stdout).toContain(`  ${PRICE_CHANNEL}: price (ja)`);
    expect(checked.stdout).not.toMatch(/nobody will see/);
    const reprinted = await run(['config', 'print', '--config', full], {});
    expect(JSON.parse(reprinted.stdout)).toEqual(effective);
  });

  it('config check of the default says that no channel is subscribed; of a bad file exits 2', async () => {
    const checked = await run(['config', 'check'], {});
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/^ {2}no channel subscribed/m);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ sources: [{ exchange: 'zaif', symbol: 'xem-jpy' }] }));
    const refused = await run(['config', 'check', bad], {});
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('sources.0.symbol: must be a unified symbol like XEM/JPY');
  });
});
