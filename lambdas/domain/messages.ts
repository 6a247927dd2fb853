import type { RESTPostAPIChannelMessageJSONBody } from 'discord-api-types/v10';
import type { Language, MessageKind } from './config';

/** What we post to a channel: a Discord create-message body (content/embeds/allowed_mentions). */
export type MessagePayload = RESTPostAPIChannelMessageJSONBody;

/**
 * A message the bot wants to post, before it is bound to channels. `key` is deterministic for
 * the event (e.g. "price:XEM/JPY:drop-5-60:2018-01-26T01"), so a re-run yields the same key and
 * the outbox refuses the duplicate. `render` makes the payload in a channel's language.
 */
export interface Announcement {
  key: string;
  kind: MessageKind;
  /** For price alerts: the rule id, so channels with their own rule set get only theirs. */
  ruleId?: string;
  render(language: Language): MessagePayload;
}

/** A channel that receives some kinds of messages, from config or from `/alerts subscribe`. */
export interface Subscription {
  channelId: string;
  guildId?: string;
  kinds: MessageKind[];
  language?: Language;
  /** Price rule ids this channel wants; undefined = the configured default rules. */
  priceRules?: string[];
  /** Set when Discord answered 403/404 for this channel: delivery stops and says so once. */
  disabledReason?: string;
}
