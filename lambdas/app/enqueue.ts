import type { Language } from '../domain/config';
import type { Announcement } from '../domain/messages';
import { withRoleMention } from '../domain/mentions';
import type { Outbox } from '../store/outbox';
import type { Subscriptions } from '../store/subscriptions';
import type { Subscription } from '../domain/subscription';

export interface EnqueueDeps {
  outbox: Outbox;
  subscriptions: Subscriptions;
  defaultLanguage: Language;
  /**
   * The configured price rule ids (ruleIdsFor(config.rules)): what channels without their own
   * rule list get. Needed for announcements that carry a ruleId.
   */
  defaultPriceRules?: readonly string[];
}

export interface Enqueued {
  /** Entries that were new (a re-run of the same event adds none). */
  added: number;
  /** Every channel the announcement is bound to, new or from an earlier run. */
  channels: string[];
}

/** Channels an announcement goes to instead of its kind's subscribers (a correction). */
export interface EnqueueTarget {
  to?: readonly string[];
  /**
   * Only channels of these servers (their subscription's guildId): what a feed servers added
   * with /feeds add posts. A channel whose server is not known (one from the config file) gets none.
   */
  guilds?: readonly string[];
}

/**
 * Bind an announcement to every channel that takes it (or to exactly `target.to`; of those only
 * the servers in `target.guilds` when given), in the
 * channel's language, as outbox entries.
 *
 * An array is a set of alternatives about one event (several drop rules fired by the same fall):
 * each channel gets only the first one it takes, so one fall is one message per channel.
 */
export async function enqueue(
  announcements: Announcement | Announcement[],
  deps: EnqueueDeps,
  target: EnqueueTarget = {},
): Promise<Enqueued> {
  const alternatives = Array.isArray(announcements) ? announcements : [announcements];
  const served = new Set<string>();
  let added = 0;
  for (const announcement of alternatives) {
    const candidates = target.to
      ? await namedChannels(target.to, deps)
      : await channelsTaking(announcement, deps);
    const { guilds } = target;
    const channels = guilds
      ? candidates.filter((c) => c.guildId !== undefined && guilds.includes(c.guildId))
      : candidates;
    for (const channel of channels) {
      if (served.has(channel.channelId)) continue;
      served.add(channel.channelId);
      const rendered = announcement.render(channel.language ?? deps.defaultLanguage);
      // The channel's opt-in role, for the kinds it chose; every other message pings nobody.
      const role = channel.mentionRole;
      const payload = role?.kinds.includes(announcement.kind)
        ? withRoleMention(rendered, role.roleId)
        : rendered;
      if (await deps.outbox.enqueue(announcement.key, channel.channelId, announcement.kind, payload)) added++;
    }
  }
  return { added, channels: [...served] };
}

/** The named channels, with their subscription's language and role when they still have one. */
async function namedChannels(
  ids: readonly string[],
  deps: EnqueueDeps,
): Promise<(Pick<Subscription, 'channelId'> & Partial<Subscription>)[]> {
  const subs = await Promise.all(ids.map((id) => deps.subscriptions.get(id)));
  return ids.map((channelId, i) => subs[i] ?? { channelId });
}

async function channelsTaking(announcement: Announcement, deps: EnqueueDeps) {
  const { ruleId } = announcement;
  let rule: { id: string; defaults: readonly string[] } | undefined;
  if (ruleId !== undefined) {
    // Guessing here would send a channel's own rule to every channel, or the defaults to none.
    if (!deps.defaultPriceRules)
      throw new Error(`enqueue ${announcement.key}: rule ${ruleId} needs defaultPriceRules to pick channels`);
    rule = { id: ruleId, defaults: deps.defaultPriceRules };
  }
  return deps.subscriptions.channelsFor(announcement.kind, rule);
}
