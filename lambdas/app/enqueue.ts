import type { Language } from '../domain/config';
import type { Announcement } from '../domain/messages';
import { withRoleMention } from '../domain/mentions';
import type { Outbox } from '../store/outbox';
import type { Subscriptions } from '../store/subscriptions';

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

/**
 * Bind an announcement to every channel that takes it, in the channel's language, as outbox
 * entries. Returns how many entries were new (a re-run of the same event adds none).
 *
 * An array is a set of alternatives about one event (several drop rules fired by the same fall):
 * each channel gets only the first one it takes, so one fall is one message per channel.
 */
export async function enqueue(
  announcements: Announcement | Announcement[],
  deps: EnqueueDeps,
): Promise<number> {
  const alternatives = Array.isArray(announcements) ? announcements : [announcements];
  const served = new Set<string>();
  let added = 0;
  for (const announcement of alternatives) {
    for (const channel of await channelsTaking(announcement, deps)) {
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
  return added;
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
