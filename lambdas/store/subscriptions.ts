import type { Clock } from '../domain/clock';
import type { ChannelConfig, MessageKind } from '../domain/config';
import type { Subscription } from '../domain/subscription';
import { PK } from './keys';
import type { Item, Store } from './store';

interface SubscriptionItem extends Item, Subscription {
  updatedAt: number;
}

interface DisabledChannelItem extends Item {
  channelId: string;
  reason: string;
  at: number;
}

const SUBS = PK.subscriptions;
const DISABLED = PK.disabledChannels;

/**
 * Which channels get which messages: the channels in config plus those added with
 * `/alerts subscribe` (stored). A stored subscription for a configured channel overrides it.
 * Channels Discord refused (403/404) are marked disabled and skipped until re-subscribed.
 */
export class Subscriptions {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly configured: ChannelConfig[],
  ) {}

  async all(): Promise<Subscription[]> {
    const [stored, disabled] = await Promise.all([
      this.store.query<SubscriptionItem>(SUBS),
      this.store.query<DisabledChannelItem>(DISABLED),
    ]);
    return this.merge(stored, disabled);
  }

  /**
   * The channels with price rules of their own (what the price job adds to the configured rules),
   * as all() has them. The disabled channels are read only when there is such a channel: with
   * none, the price job's poll costs one query here, not two.
   */
  async withOwnPriceRules(): Promise<Subscription[]> {
    const stored = await this.store.query<SubscriptionItem>(SUBS);
    if (!stored.some((s) => s.priceRules?.length)) return [];
    const disabled = await this.store.query<DisabledChannelItem>(DISABLED);
    return this.merge(stored, disabled).filter((s) => s.priceRules?.length);
  }

  /** Configured channels, overridden by stored subscriptions, marked when disabled; those taking nothing left out. */
  private merge(stored: SubscriptionItem[], disabled: DisabledChannelItem[]): Subscription[] {
    const byChannel = new Map<string, Subscription>();
    for (const c of this.configured) {
      byChannel.set(c.id, {
        channelId: c.id,
        kinds: c.kinds,
        ...(c.guildId ? { guildId: c.guildId } : {}),
        ...(c.language ? { language: c.language } : {}),
      });
    }
    for (const s of stored) byChannel.set(s.channelId, toSubscription(s));
    for (const d of disabled) {
      const sub = byChannel.get(d.channelId);
      if (sub) sub.disabledReason = d.reason;
    }
    return [...byChannel.values()].filter((s) => s.kinds.length > 0);
  }

  /**
   * Active channels that take this kind. For a price alert of a rule: the channels whose own rule
   * list has it, and the channels without a list only when it is one of the configured defaults
   * (ruleIdsFor(config.rules)); another channel's own rule is not theirs.
   */
  async channelsFor(
    kind: MessageKind,
    rule?: { id: string; defaults: readonly string[] },
  ): Promise<Subscription[]> {
    const wants = (s: Subscription) =>
      kind !== 'price' || !rule || (s.priceRules ?? rule.defaults).includes(rule.id);
    return (await this.all()).filter((s) => !s.disabledReason && s.kinds.includes(kind) && wants(s));
  }

  async get(channelId: string): Promise<Subscription | undefined> {
    return (await this.all()).find((s) => s.channelId === channelId);
  }

  /** Store a channel's subscription (replaces what it had); re-enables a disabled channel. */
  async put(sub: Subscription): Promise<void> {
    const { disabledReason: _ignored, ...rest } = sub;
    await this.store.put({ pk: SUBS, sk: sub.channelId, ...rest, updatedAt: this.clock.now() });
    await this.store.delete(DISABLED, sub.channelId);
  }

  /** Count of stored subscriptions in a guild, for the per-guild cap. */
  async countInGuild(guildId: string): Promise<number> {
    return (await this.store.query<SubscriptionItem>(SUBS)).filter(
      (s) => s.guildId === guildId && s.kinds.length > 0,
    ).length;
  }

  /** Discord said 403/404 for this channel: stop sending there. Returns false when already disabled. */
  async disable(channelId: string, reason: string): Promise<boolean> {
    return this.store.put(
      { pk: DISABLED, sk: channelId, channelId, reason, at: this.clock.now() },
      { ifAbsent: true },
    );
  }
}

function toSubscription(s: SubscriptionItem): Subscription {
  return {
    channelId: s.channelId,
    kinds: s.kinds,
    ...(s.guildId ? { guildId: s.guildId } : {}),
    ...(s.language ? { language: s.language } : {}),
    ...(s.priceRules ? { priceRules: s.priceRules } : {}),
    ...(s.mentionRole ? { mentionRole: s.mentionRole } : {}),
  };
}
