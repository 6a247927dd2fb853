import { PermissionFlagsBits, type APIEmbed } from 'discord-api-types/v10';
import { buildCommandInteraction } from '../../local/dev-client';
import { localInteractions } from '../../local/interactions-server';
import { handleInteraction, type InteractionDeps } from '../../lambdas/discord/interactions';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { startDiscordServer, type CreatedMessage, type DiscordServer } from '../../testkit/discord-server';
import { generateTestKeys, signedHeaders } from '../support/interactions';
import {
  BASE,
  EN_CHANNEL,
  JA_CHANNEL,
  pendingFor,
  setAll,
  steady,
  withHarness,
  type Harness,
} from '../support/price-harness';

/**
 * Level alerts end to end: `/alerts subscribe kind:price above:…` through the real interactions
 * handler, then the real price job on loopback exchanges (XEM/BTC on three venues) and dynalite,
 * then delivery to the loopback Discord, whose received request bodies are checked.
 */

const PINGED = '100000000000000021';
const QUIET = '100000000000000022';
const ROLE = '300000000000000077';
const keys = generateTestKeys();

interface Reply {
  data?: { content?: string };
}

function commandDeps(h: Harness, discord: DiscordServer): InteractionDeps {
  return localInteractions(h.container, {
    publicKey: keys.publicKeyHex,
    followUp: () => createFetchFollowUp({ apiBase: discord.apiBase }),
    budgetMs: 20_000,
  }).deps;
}

/** `/alerts …` in a channel, by a member with Manage Channels, through the signed endpoint. */
async function alerts(deps: InteractionDeps, h: Harness, channelId: string, line: string): Promise<string> {
  const interaction = {
    ...buildCommandInteraction(`alerts ${line}`.split(' '), {
      permissions: PermissionFlagsBits.ManageChannels,
    }),
    channel_id: channelId,
    channel: { id: channelId, type: 0 },
  };
  const body = JSON.stringify(interaction);
  const res = await handleInteraction(
    { headers: signedHeaders(body, keys.privateKey, h.clock.now()), body },
    deps,
  );
  return (JSON.parse(res.body) as Reply).data?.content ?? '';
}

async function deliver(h: Harness, discord: DiscordServer): Promise<void> {
  const client = createDiscordClient({
    token: discord.token,
    apiBase: discord.apiBase,
    maxRateLimitWaitMs: 5_000,
  });
  await runDelivery(h.container, { discord: client, print: () => undefined });
}

/** The embed title of a message as the loopback Discord received it. */
function titleOf(message: CreatedMessage | undefined): string | undefined {
  return (message?.payload as { embeds?: APIEmbed[] } | undefined)?.embeds?.[0]?.title;
}

async function withDiscord(fn: (discord: DiscordServer) => Promise<void>): Promise<void> {
  const discord = await startDiscordServer();
  try {
    await fn(discord);
  } finally {
    await discord.close();
  }
}

describe('level alerts (/alerts above / below)', () => {
  afterEach(() => resetPriceSourceCache());

  it('crossing above the level fires once, only in the channels that set it, pinging the role only where opted in', async () => {
    await withDiscord(async (discord) => {
      await withHarness({}, async (h) => {
        const deps = commandDeps(h, discord);
        const reply = await alerts(
          deps,
          h,
          PINGED,
          `subscribe kind:price above:0.00011 mention_role:${ROLE}`,
        );
        expect(reply).toContain('above-0.00011-XEM/BTC');
        expect(reply).toContain('crosses the level');
        await alerts(deps, h, QUIET, 'subscribe kind:price above:0.00011');
        await steady(h, 3);
        setAll(h, BASE * 1.15);
        const fired = await h.tick();
        expect(fired.alerts.map((a) => a.ruleId)).toEqual(['above-0.00011-XEM/BTC']);
        // Still above: no second alert.
        expect((await h.tick()).alerts).toEqual([]);
        const pending = await pendingFor(h);
        expect(pending.map((e) => e.channelId).sort()).toEqual([PINGED, QUIET]);

        await deliver(h, discord);
        const [pinged] = discord.messagesIn(PINGED);
        expect(pinged?.payload.content).toBe(`<@&${ROLE}>`);
        expect(pinged?.payload.allowed_mentions).toEqual({ parse: [], roles: [ROLE] });
        expect(titleOf(pinged)).toBe('XEM rose above 0.00011 BTC');
        const [quiet] = discord.messagesIn(QUIET);
        expect(quiet?.payload.content).toBeUndefined();
        expect(quiet?.payload.allowed_mentions).toEqual({ parse: [] });
        expect(titleOf(quiet)).toBe('XEM rose above 0.00011 BTC');
        // The config's channels have the default rules only.
        expect(discord.messagesIn(JA_CHANNEL)).toEqual([]);
        expect(discord.messagesIn(EN_CHANNEL)).toEqual([]);
        expect(discord.messages).toHaveLength(2);
      });
    });
  });

  it('a price already below the level when the alert is set is not a crossing; coming back and falling again is', async () => {
    await withDiscord(async (discord) => {
      await withHarness({}, async (h) => {
        const deps = commandDeps(h, discord);
        await alerts(deps, h, QUIET, 'subscribe kind:price below:0.000105 language:ja');
        await steady(h, 3);
        // Back above by more than the hysteresis, then under again (3.7 %: no drop rule fires).
        setAll(h, BASE * 1.08);
        await steady(h, 2);
        setAll(h, BASE * 1.04);
        const fired = await h.tick();
        expect(fired.alerts.map((a) => a.ruleId)).toEqual(['below-0.000105-XEM/BTC']);
        await deliver(h, discord);
        expect(discord.messagesIn(QUIET).map(titleOf)).toEqual(['XEM が 0.000105 BTC を下回りました']);
      });
    });
  });

  it('removed, then re-added after the price crossed it: no alert at the first look, the old side is forgotten', async () => {
    await withDiscord(async (discord) => {
      await withHarness({}, async (h) => {
        const deps = commandDeps(h, discord);
        await alerts(deps, h, QUIET, 'subscribe kind:price above:0.00011');
        await steady(h, 2);
        const id = 'above-0.00011-XEM/BTC';
        expect(Object.keys(await h.repo.ruleStates('XEM/BTC'))).toContain(id);
        await alerts(deps, h, QUIET, `unsubscribe kind:price rule:${id}`);
        await steady(h, 1);
        // Forgotten in the table, not only in this process's copy.
        expect(Object.keys(await h.repo.ruleStates('XEM/BTC'))).not.toContain(id);
        setAll(h, BASE * 1.12);
        await steady(h, 2);
        await alerts(deps, h, QUIET, 'subscribe kind:price above:0.00011');
        // Above when re-added: the first look records that, the next poll is no crossing either.
        await steady(h, 2);
        // Back under by more than the hysteresis (3 %: no drop rule) and above again: a crossing.
        setAll(h, BASE * 1.085);
        await steady(h, 2);
        setAll(h, BASE * 1.12);
        expect((await h.tick()).alerts.map((a) => a.ruleId)).toEqual([id]);
      });
    });
  });

  it('a level in a currency two series share must name its series; nothing is stored', async () => {
    await withDiscord(async (discord) => {
      await withHarness({ withJpy: true }, async (h) => {
        const deps = commandDeps(h, discord);
        // XEM/BTC and XEM/JPY: a bare price could be either.
        expect(await alerts(deps, h, QUIET, 'subscribe kind:price above:150')).toContain(
          'Which series is the price in? Several are watched: XEM/BTC, XEM/JPY. Add series',
        );
        expect(await alerts(deps, h, QUIET, 'subscribe kind:price above:150 series:ETH/USD')).toContain(
          'series: no configured series is "ETH/USD"',
        );
        expect(await h.subscriptions().get(QUIET)).toBeUndefined();
        expect(await alerts(deps, h, QUIET, 'subscribe kind:price above:150 series:JPY')).toContain(
          'above-150-XEM/JPY',
        );
      });
    });
  });
});
