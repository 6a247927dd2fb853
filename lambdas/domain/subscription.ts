import type { Language, MessageKind } from './config';

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
