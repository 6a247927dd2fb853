import type { Language } from '../core/config';
import type { Announcement } from '../core/messages';
import type { Outbox } from '../adapters/outbox';
import type { Subscriptions } from '../adapters/subscriptions';

export interface PublishDeps {
  outbox: Outbox;
  subscriptions: Subscriptions;
  defaultLanguage: Language;
}

/**
 * Bind an announcement to every channel that takes it, in the channel's language, as outbox
 * entries. Returns how many entries were new (a re-run of the same event adds none).
 */
export async function publish(announcement: Announcement, deps: PublishDeps): Promise<number> {
  const channels = await deps.subscriptions.channelsFor(announcement.kind, announcement.ruleId);
  let added = 0;
  for (const channel of channels) {
    const payload = announcement.render(channel.language ?? deps.defaultLanguage);
    if (await deps.outbox.enqueue(announcement.key, channel.channelId, announcement.kind, payload)) added++;
  }
  return added;
}
