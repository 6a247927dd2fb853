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
