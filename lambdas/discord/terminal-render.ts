import type { RESTPatchAPIWebhookWithTokenMessageJSONBody } from 'discord-api-types/v10';
// string-width 4.x: the CommonJS line (5+ is ESM only), what this CommonJS/ts-jest build can require.
import stringWidth from 'string-width';

/**
 * A message as a terminal user would see it in Discord, drawn as a plain-text box. Used when no bot
 * token is set, so a new user sees what the bot would post. Pure.
 */
/** What the box shows of a message: a channel message and an interaction edit alike. */
export type ShownMessage = Pick<RESTPatchAPIWebhookWithTokenMessageJSONBody, 'content' | 'embeds'>;
type ShownEmbed = NonNullable<ShownMessage['embeds']>[number];

export function renderForTerminal(channelId: string, payload: ShownMessage, width = 72): string {
  const inner = Math.max(20, width - 4);
  const lines: string[] = [];
  // A line break inside a text is a new box line, never a raw newline that would break the box.
  const add = (text: string) => {
    for (const para of text.split('\n')) lines.push(...wrap(asDisplayed(para), inner));
  };
  if (payload.content) add(payload.content);
  (payload.embeds ?? []).forEach((embed, i) => {
    if (lines.length || i > 0) lines.push(rule(inner));
    renderEmbed(embed, add);
  });
  if (!lines.length) add('(empty message)');

  const header = ` #${channelId} `;
  const top = `┌─${header}${'─'.repeat(Math.max(0, inner - displayWidth(header)))}─┐`;
  const bottom = `└${'─'.repeat(inner + 2)}┘`;
  const body = lines.map((l) => `│ ${l}${' '.repeat(Math.max(0, inner - displayWidth(l)))} │`);
  return [top, ...body, bottom].join('\n');
}

function renderEmbed(embed: ShownEmbed, add: (text: string) => void): void {
  if (embed.author?.name) add(embed.author.name);
  if (embed.title) add(`■ ${embed.title}`);
  if (embed.url) add(embed.url);
  if (embed.description) add(embed.description);
  for (const field of embed.fields ?? []) {
    add('');
    add(`${field.name}`);
    for (const para of field.value.split('\n')) add(`  ${para}`);
  }
  const foot = [embed.footer?.text, embed.timestamp].filter(Boolean).join(' · ');
  if (foot) {
    add('');
    add(`— ${foot}`);
  }
}

/**
 * The text as Discord shows it: markdown escapes (`\(`) and bold markers are formatting, not
 * text, and the zero-width spaces that break mentions are invisible.
 */
export function asDisplayed(text: string): string {
  return text
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/\\([\\*_~`|>#[\]()-])/g, '$1')
    .replace(/\u200b/g, '');
}

function rule(inner: number): string {
  return '╌'.repeat(inner);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Wrap to `max` terminal columns. Widths come from string-width (East Asian Width, emoji, ZWJ
 * sequences, flags, combining marks), per grapheme so an emoji sequence is never split.
 */
function wrap(text: string, max: number): string[] {
  if (text === '') return [''];
  const out: string[] = [];
  let line = '';
  let w = 0;
  for (const { segment } of graphemes.segment(text)) {
    const cw = displayWidth(segment);
    if (w + cw > max && line !== '') {
      // Prefer breaking at the last space when there is one in the second half of the line.
      const cut = line.lastIndexOf(' ');
      if (cut > line.length / 2) {
        out.push(line.slice(0, cut));
        line = line.slice(cut + 1);
        w = displayWidth(line);
      } else {
        out.push(line);
        line = '';
        w = 0;
      }
    }
    line += segment;
    w += cw;
  }
  out.push(line);
  return out;
}

/** Terminal columns the text takes (wide characters and emoji count two, zero-width ones none). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}
