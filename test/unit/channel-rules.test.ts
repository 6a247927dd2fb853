import {
  channelPriceRules,
  ownRules,
  removeRule,
  stopMention,
  subscribe,
  unsubscribe,
  usesDefaultRules,
} from '../../lambdas/domain/channel-rules';
import type { Subscription } from '../../lambdas/domain/subscription';

const DEFAULTS = ['drop-5-60', 'drop-10-1440', 'below-ref'];
const CHANNEL = '100000000000000011';
const GUILD = '200000000000000001';
const ROLE = '300000000000000077';

const newPrice = (addRules: string[] = []) =>
  subscribe(undefined, { channelId: CHANNEL, guildId: GUILD, kind: 'price', addRules }, DEFAULTS);

describe("a channel's alert rules (what /alerts decides)", () => {
  it('a channel subscribed without a rule of its own has the defaults, stored as no list', () => {
    const sub = newPrice();
    expect(sub.priceRules).toBeUndefined();
    expect(usesDefaultRules(sub)).toBe(true);
    expect(channelPriceRules(sub, DEFAULTS)).toEqual(DEFAULTS);
  });

  it("adding the channel's own rule keeps the defaults beside it", () => {
    const sub = newPrice(['rise-3-30']);
    expect(channelPriceRules(sub, DEFAULTS)).toEqual([...DEFAULTS, 'rise-3-30']);
    expect(usesDefaultRules(sub)).toBe(false);
  });

  it('a default the user removed stays removed when another rule is added later', () => {
    const removed = removeRule(newPrice(), 'below-ref', DEFAULTS, GUILD);
    if (!removed.removed) throw new Error('expected the rule removed');
    const next = subscribe(
      removed.subscription,
      { channelId: CHANNEL, guildId: GUILD, kind: 'price', addRules: ['drop-3-30'] },
      DEFAULTS,
    );
    expect(channelPriceRules(next, DEFAULTS)).toEqual(['drop-5-60', 'drop-10-1440', 'drop-3-30']);
  });

  it('adding a rule the channel already has does not list it twice', () => {
    const sub = newPrice(['drop-5-60']);
    expect(channelPriceRules(sub, DEFAULTS)).toEqual(DEFAULTS);
  });

  it('removing a rule the channel does not have says what it has and changes nothing', () => {
    const sub = newPrice(['rise-3-30']);
    expect(removeRule(sub, 'drop-9-9', DEFAULTS, GUILD)).toEqual({
      removed: false,
      has: [...DEFAULTS, 'rise-3-30'],
    });
  });

  it('removing the last rule stops price alerts and their role ping, and stores an empty list', () => {
    let sub: Subscription = {
      channelId: CHANNEL,
      guildId: GUILD,
      kinds: ['price', 'news'],
      priceRules: ['rise-3-30'],
      mentionRole: { roleId: ROLE, kinds: ['price', 'news'] },
    };
    const result = removeRule(sub, 'rise-3-30', DEFAULTS, GUILD);
    if (!result.removed) throw new Error('expected the rule removed');
    sub = result.subscription;
    expect(sub.kinds).toEqual(['news']);
    expect(sub.priceRules).toEqual([]);
    expect(sub.mentionRole).toEqual({ roleId: ROLE, kinds: ['news'] });
  });

  it('subscribing keeps the kinds, language and role the channel had, and adds the new role kind', () => {
    const before: Subscription = {
      channelId: CHANNEL,
      guildId: GUILD,
      kinds: ['news'],
      language: 'ja',
      mentionRole: { roleId: ROLE, kinds: ['news'] },
    };
    const sub = subscribe(
      before,
      { channelId: CHANNEL, guildId: GUILD, kind: 'price', roleId: ROLE },
      DEFAULTS,
    );
    expect(sub).toEqual({
      channelId: CHANNEL,
      guildId: GUILD,
      kinds: ['news', 'price'],
      language: 'ja',
      mentionRole: { roleId: ROLE, kinds: ['news', 'price'] },
    });
  });

  it('unsubscribing price drops its rules and ping; unsubscribing all leaves an empty list that silences', () => {
    const sub: Subscription = {
      channelId: CHANNEL,
      kinds: ['price', 'news'],
      priceRules: ['rise-3-30'],
      mentionRole: { roleId: ROLE, kinds: ['price'] },
    };
    const noPrice = unsubscribe(sub, 'price', GUILD);
    expect(noPrice).toEqual({ channelId: CHANNEL, guildId: GUILD, kinds: ['news'] });
    expect(unsubscribe(sub, 'all', GUILD).kinds).toEqual([]);
    // Another kind leaves the price rules as they were.
    expect(unsubscribe(sub, 'news', GUILD).priceRules).toEqual(['rise-3-30']);
  });

  it('stopping the ping keeps the kinds and rules', () => {
    const sub: Subscription = {
      channelId: CHANNEL,
      guildId: GUILD,
      kinds: ['price'],
      priceRules: ['rise-3-30'],
      mentionRole: { roleId: ROLE, kinds: ['price'] },
    };
    expect(stopMention(sub, 'price', GUILD)).toEqual({
      channelId: CHANNEL,
      guildId: GUILD,
      kinds: ['price'],
      priceRules: ['rise-3-30'],
    });
  });

  it("the channel's own rules are the added ones that are not defaults", () => {
    expect(ownRules(['drop-5-60', 'rise-3-30'], DEFAULTS)).toEqual(['rise-3-30']);
  });
});
