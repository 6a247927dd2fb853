/** Discord's message limits and safe handling of untrusted text (feed titles, user input). */
export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  /** Sum of all text in all embeds of one message. */
  embedTotal: 6000,
} as const;

/** Cut to at most `max` characters (code points kept whole), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/**
 * Escape markdown and neutralise mentions and masked links in untrusted text, so a headline
 * cannot format, ping or disguise a link. allowed_mentions stops the ping; this stops the look.
 */
export function escapeUntrusted(text: string): string {
  return (
    text
      // markdown control characters, including headings, lists, quotes and masked-link brackets
      .replace(/([\\*_~`|>#[\]()-])/g, '\\$1')
      // @everyone / @here / <@id> / <#id> / <@&id>: a zero-width space after @ or < breaks them
      .replace(/@/g, '@\u200b')
      .replace(/<(?=[@#:a])/g, '<\u200b')
      // bare links stay clickable but cannot hide behind text: nothing to do after escaping []()
      .replace(/\r?\n/g, ' ')
  );
}

/** Every message we send sets this: nobody is pinged by anything the bot posts. */
export const NO_MENTIONS = { parse: [] as never[] };

/** Every message keeps allowed_mentions; when the caller set none, nobody is pinged. */
export function withNoMentions<P extends { allowed_mentions?: unknown }>(payload: P): P {
  return payload.allowed_mentions === undefined ? { ...payload, allowed_mentions: NO_MENTIONS } : payload;
}
