import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { startDiscordServer } from '../../testkit/discord-server';
import { MINUTE } from '../../lambdas/domain/clock';
import type { Subscription } from '../../lambdas/domain/subscription';
import { MAX_CUSTOM_RULES, dropRuleId } from '../../lambdas/domain/rule-ids';
import { PK } from '../../lambdas/store/keys';
import { queriesOf, recordRequests } from '../support/store-requests';
import {
  BASE,
  EN_CHANNEL,
  JA_CHANNEL,
  XEM_BTC,
  pendingFor,
  setAll,
  steady,
  withHarness,
  type Harness,
} from '../support/price-harness';

/**
 * Channels' own price rules (`/alerts subscribe kind:price drop_percent:3 window_minutes:30`)
 * on the price job harness: the configured rules are drop-5-60, drop-10-1440 and below-ref;
 * JA_CHANNEL and EN_CHANNEL come from the config file without a rule list of their own.
 */

const OWN_RULES = '100000000000000011';
const MIXED_RULES = '100000000000000012';

/** A channel subscribed with /alerts, stored as the slash command stores it. */
async function subscribe(
  h: Harness,
  channelId: string,
  priceRules: string[],
  extra: Partial<Subscription> = {},
) {
  await h.subscriptions().put({
    channelId,
    guildId: '200000000000000001',
    kinds: ['price'],
    language: 'en',
    priceRules,
    ...extra,
  });
}

/** Channel ids with an outbox entry for this rule, sorted. */
async function channelsGot(h: Harness, ruleId: string): Promise<string[]> {
  return (await pendingFor(h))
    .filter((e) => e.messageKey.includes(`:${ruleId}:`))
    .map((e) => e.channelId)
    .sort();
}

describe("channels' own price rules in the price job", () => {
  afterEach(() => resetPriceSourceCache());

  it("a channel's rise rule (4 % up in 30 min) fires for that channel only, as a rise", async () => {
    await withHarness({}, async (h) => {
      await subscribe(h, OWN_RULES, ['drop-5-60', 'rise-3-30']);
      await steady(h, 3);
      // 2 % up: under the rule's 3 %, nothing.
      setAll(h, BASE * 1.02);
      expect((await h.tick()).alerts).toEqual([]);
      setAll(h, BASE * 1.04);
      const fired = await h.tick();
      expect(fired.alerts.map((a) => a.ruleId)).toEqual(['rise-3-30']);
      expect(fired.alerts[0]).toMatchObject({
        rule: 'rise',
        low: BASE,
        windowMinutes: 30,
        thresholdPercent: 3,
      });
      expect(fired.alerts[0]?.changePercent).toBeCloseTo(4, 6);
      const pending = await pendingFor(h);
      expect(pending.map((e) => [e.channelId, e.messageKey])).toEqual([
        [OWN_RULES, 'price:XEM/BTC:rise-3-30:2018-01-26T00:05:00.000Z'],
      ]);
      const embed = pending[0]?.payload.embeds?.[0];
      expect(embed?.title).toBe('XEM price rise: +4.0% in 30 min');
      expect(embed?.description).toBe('Rose 3.0% or more in 30 min.');
      // Still up next poll: the fired rule stays quiet until the rise clears.
      expect((await h.tick()).alerts).toEqual([]);
    });
  });

  it('the opted-in role (only that role) is mentioned in its channel; the other channel pings nobody', async () => {
    const ROLE = '300000000000000077';
    const discord = await startDiscordServer();
    try {
      await withHarness({}, async (h) => {
        await subscribe(h, OWN_RULES, ['rise-3-30'], { mentionRole: { roleId: ROLE, kinds: ['price'] } });
        await subscribe(h, MIXED_RULES, ['rise-3-30'], { mentionRole: { roleId: ROLE, kinds: ['news'] } });
        await steady(h, 3);
        setAll(h, BASE * 1.05);
        expect((await h.tick()).alerts.map((a) => a.ruleId)).toEqual(['rise-3-30']);
        const client = createDiscordClient({
          token: discord.token,
          apiBase: discord.apiBase,
          maxRateLimitWaitMs: 5_000,
        });
        await runDelivery(h.container, { discord: client, print: () => undefined });
        const [mentioned] = discord.messagesIn(OWN_RULES);
        expect(mentioned?.payload.content).toBe(`<@&${ROLE}>`);
        expect(mentioned?.payload.allowed_mentions).toEqual({ parse: [], roles: [ROLE] });
        // MIXED_RULES wants the role on news only: this price alert pings nobody.
        const [quiet] = discord.messagesIn(MIXED_RULES);
        expect(quiet?.payload.content).toBeUndefined();
        expect(quiet?.payload.allowed_mentions).toEqual({ parse: [] });
        expect(JSON.stringify(discord.messages)).not.toMatch(/@everyone|@here/);
      });
    } finally {
      await discord.close();
    }
  });

  it("a channel's own 3 % in 30 min rule fires for that channel only", async () => {
    await withHarness({}, async (h) => {
      await subscribe(h, OWN_RULES, ['drop-3-30']);
      await steady(h, 3);
      // 4 % down: under the configured 5 %, over the channel's 3 %.
      setAll(h, BASE * 0.96);
      const fired = await h.tick();
      expect(fired.alerts.map((a) => a.ruleId)).toEqual(['drop-3-30']);
      expect(fired.alerts[0]).toMatchObject({ windowMinutes: 30, thresholdPercent: 3 });
      expect(fired.summary).toContain('fired: XEM/BTC drop-3-30 (1 queued)');
      const pending = await pendingFor(h);
      expect(pending.map((e) => [e.channelId, e.messageKey])).toEqual([
        [OWN_RULES, 'price:XEM/BTC:drop-3-30:2018-01-26T00:04:00.000Z'],
      ]);
      expect(pending[0]?.payload.embeds?.[0]?.title).toBe('XEM price drop: -4.0% in 30 min');
    });
  });

  it('a channel without its own rules gets only the configured rules, and one fall is one message per channel', async () => {
    await withHarness({}, async (h) => {
      await subscribe(h, OWN_RULES, ['drop-3-30']);
      await subscribe(h, MIXED_RULES, ['drop-3-30', 'drop-5-60']);
      await steady(h, 3);
      setAll(h, BASE * 0.88);
      const fired = await h.tick();
      // The same -12 % fired three rules; most telling first: the shortest window.
      expect(fired.alerts.map((a) => a.ruleId)).toEqual(['drop-3-30', 'drop-5-60', 'drop-10-1440']);
      expect(await channelsGot(h, 'drop-3-30')).toEqual([OWN_RULES, MIXED_RULES]);
      // Channels without a list get the configured rules only; MIXED_RULES already has its message.
      expect(await channelsGot(h, 'drop-5-60')).toEqual([JA_CHANNEL, EN_CHANNEL]);
      expect(await channelsGot(h, 'drop-10-1440')).toEqual([]);
      expect(fired.enqueued).toBe(4);
    });
  });

  it("a custom rule's cooldown survives a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-channel-rules-'));
    try {
      await withHarness({ dataDir: dir }, async (h) => {
        await subscribe(h, OWN_RULES, ['drop-3-30']);
        await steady(h, 3);
        setAll(h, BASE * 0.96);
        expect((await h.tick()).alerts.map((a) => a.ruleId)).toEqual(['drop-3-30']);
        await h.restart();
        // Recovery re-arms the rule through hysteresis...
        setAll(h, BASE);
        expect((await h.tick()).alerts).toEqual([]);
        await h.restart();
        // ...but a second drop 2 minutes after the alert is inside the 60 min cooldown.
        setAll(h, BASE * 0.96);
        expect((await h.tick()).alerts).toEqual([]);
        const state = await h.repo.ruleStates(XEM_BTC);
        expect(state['drop-3-30']).toMatchObject({
          active: false,
          lastAlertKey: 'price:XEM/BTC:drop-3-30:2018-01-26T00:04:00.000Z',
        });
        expect(await channelsGot(h, 'drop-3-30')).toEqual([OWN_RULES]);

        // Once the cooldown is over, a new drop (from a new high) alerts again.
        h.clock.advance(60 * MINUTE);
        setAll(h, BASE);
        await h.tick();
        await h.tick();
        setAll(h, BASE * 0.96);
        const again = await h.tick();
        expect(again.alerts.map((a) => a.ruleId)).toEqual(['drop-3-30']);
        expect((await pendingFor(h)).filter((e) => e.channelId === OWN_RULES)).toHaveLength(2);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unparsable stored rule id is logged once and ignored; the valid ones still fire', async () => {
    await withHarness({}, async (h) => {
      await subscribe(h, OWN_RULES, ['drop-3-30', 'drop-abc-30', 'drop-03-30']);
      await steady(h, 2);
      setAll(h, BASE * 0.96);
      const fired = await h.tick();
      expect(fired.alerts.map((a) => a.ruleId)).toEqual(['drop-3-30']);
      expect(fired.errors).toEqual([]);
      const warned = h.logger.lines.filter((l) => l.startsWith('price rules: ignoring'));
      expect(warned).toEqual([
        expect.stringContaining('rule id "drop-abc-30": percent'),
        'price rules: ignoring a channel\'s rule id "drop-03-30": not in canonical form (expected "drop-3-30")',
      ]);
    });
  });

  it('a disabled channel or one without price adds no rule of its own', async () => {
    await withHarness({}, async (h) => {
      await subscribe(h, OWN_RULES, ['drop-3-30'], { kinds: ['news'] });
      await subscribe(h, MIXED_RULES, ['drop-2-30']);
      await h.subscriptions().disable(MIXED_RULES, '403 Missing Access');
      await steady(h, 2);
      setAll(h, BASE * 0.96);
      expect((await h.tick()).alerts).toEqual([]);
      expect(await pendingFor(h)).toEqual([]);
    });
  });

  it('no channel with rules of its own: a poll reads the subscriptions once and never the disabled channels', async () => {
    await withHarness({}, async (h) => {
      const sent = recordRequests(h.db.store);
      await h.subscriptions().put({ channelId: OWN_RULES, kinds: ['price'], language: 'en' });
      await h.subscriptions().disable(MIXED_RULES, '403 Missing Access');
      await steady(h, 2);
      expect(queriesOf(sent, PK.subscriptions)).toBe(2);
      expect(queriesOf(sent, PK.disabledChannels)).toBe(0);
      // A channel's own rule: the disabled channels are read too (their rules do not count).
      await subscribe(h, MIXED_RULES, ['drop-2-30']);
      sent.length = 0;
      await steady(h, 1);
      expect(queriesOf(sent, PK.disabledChannels)).toBe(1);
    });
  });

  it(`more than ${MAX_CUSTOM_RULES} distinct channel rules: the most asked-for are evaluated and the log says it is capped`, async () => {
    await withHarness({}, async (h) => {
      // 52 distinct rules 3.01 % … 3.52 % in 30 min; drop-3.52-30 is asked for by a second channel.
      const ids = Array.from({ length: MAX_CUSTOM_RULES + 2 }, (_, i) =>
        dropRuleId({ percent: (301 + i) / 100, windowMinutes: 30 }),
      );
      await subscribe(h, OWN_RULES, ids);
      await subscribe(h, MIXED_RULES, ['drop-3.52-30']);
      await steady(h, 2);
      setAll(h, BASE * 0.96);
      const fired = await h.tick();
      const firedIds = fired.alerts.map((a) => a.ruleId);
      expect(firedIds).toHaveLength(MAX_CUSTOM_RULES);
      expect(firedIds).toContain('drop-3.52-30');
      // Ties go by id: the two last in id order are left out.
      expect(firedIds).not.toContain('drop-3.51-30');
      expect(firedIds).not.toContain('drop-3.5-30');
      await h.tick();
      expect(h.logger.lines.filter((l) => l.includes('capped'))).toEqual([
        'price rules: 52 distinct channel rules, capped at 50; 2 not evaluated: drop-3.5-30, drop-3.51-30',
      ]);
    });
  });
});
