import type { APIEmbed } from 'discord-api-types/v10';
import type { MessagePayload } from '../domain/messages';

/**
 * A message as a terminal user would see it in Discord, drawn as a plain-text box. Used when no bot
 * token is set, so a new user sees what the bot would post. Pure.
 */
export function renderForTerminal(channelId: string, payload: MessagePayload, width = 72): string {
  const inner = Math.max(20, width - 4);
  const lines: string[] = [];
  const add = (text: string) => lines.push(...wrap(asDisplayed(text), inner));
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

function renderEmbed(embed: APIEmbed, add: (text: string) => void): void {
  if (embed.author?.name) add(embed.author.name);
  if (embed.title) add(`■ ${embed.title}`);
  if (embed.url) add(embed.url);
  if (embed.description) for (const para of embed.description.split('\n')) add(para);
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

/** Wrap to `max` terminal columns, counting CJK and other wide characters as two. */
function wrap(text: string, max: number): string[] {
  if (text === '') return [''];
  const out: string[] = [];
  let line = '';
  let w = 0;
  for (const ch of Array.from(text)) {
    const cw = charWidth(ch);
    if (w + cw > max) {
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
    line += ch;
    w += cw;
  }
  out.push(line);
  return out;
}

export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of Array.from(text)) w += charWidth(ch);
  return w;
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp === 0x200b || (cp >= 0x300 && cp <= 0x36f)) return 0; // zero-width space, combining marks
  // East Asian wide/fullwidth ranges (CJK, kana, Hangul, fullwidth forms) and emoji.
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}
