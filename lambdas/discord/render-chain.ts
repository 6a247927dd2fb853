import { say } from '../domain/i18n';
import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import { shortNemAddress } from '../domain/chain-address';
import { toXem, type ChainTransfer } from '../domain/chain';
import type { DrainAlert, Holdings, WatchedAccount } from '../domain/chain-watch';
import type { Language } from '../domain/config';
import { formatNumber, formatPercent, formatPrice, formatTime } from '../domain/format';
import type { Announcement, MessagePayload } from '../domain/messages';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from './text';

/**
 * On-chain watch messages (kind `chain`), Japanese and English: a movement of the stolen coins,
 * the drain alert, a newly watched account, and one summary for a burst. Every number comes from
 * the chain (amounts, heights, balances), the config (stolen total, labels) or the stored
 * consensus price; what the chain cannot tell (who, why) the message does not claim.
 */

export interface ChainView {
  explorer: { account: string; transaction: string };
  /** Watched accounts by address (labels, roles, depth). */
  accounts: ReadonlyMap<string, WatchedAccount>;
  /** Latest consensus price of XEM, when there is one. */
  price?: { value: number; currency: string; at: number };
  holdings?: Holdings;
  stolenXem: number;
}

const COLOR_MOVE = 0x3498db;
const COLOR_DRAIN = 0xe74c3c;
const COLOR_FOLLOW = 0x9b59b6;

const TEXT = {
  ja: {
    moveTitle: (xem: string, from: string, to: string): string =>
      `盗難 XEM の移動: ${from} → ${to}（${xem}）`,
    amount: '金額',
    value: (v: string, at: string): string => `≈ ${v}（${at} 時点の合意価格）`,
    from: '送金元',
    to: '送金先',
    block: 'ブロック',
    tx: '取引',
    multisig: '（マルチシグ経由）',
    holdings: (h: Holdings, stolen: string): string =>
      `攻撃者の口座 ${h.attackerAccounts} 件のうち ${h.holding} 件が、流出した ${stolen} XEM の ${formatPercent(h.heldPercent, 'ja', false)} を保有（最後に読んだ残高）`,
    drainTitle: (xem: string, who: string, span: string): string =>
      `🚨 不正流出の可能性: ${who} から ${span}で ${xem} が出金`,
    drainBody: (share: string, n: number, since: string): string =>
      `残高の ${share} が ${n} 件の送金で出ました（最初の出金 ${since}）。チェーンが示すのは送金だけで、原因はまだ確認されていません。`,
    balanceNow: '現在の残高',
    share: '残高に対する割合',
    span: (min: number): string => `${min}分`,
    followTitle: (who: string): string => `新たに監視: ${who}`,
    followBody: (xem: string, funder: string, depth: number): string =>
      `攻撃者の口座 ${funder} から ${xem} を受け取ったため、攻撃者側の口座（第${depth}階層）として監視します。`,
    burstTitle: (n: number, xem: string): string => `盗難 XEM の移動 ${n} 件（合計 ${xem}）`,
    burstBody: (senders: string, recipients: number): string =>
      `送金元: ${senders} → 送金先 ${recipients} 口座`,
    more: (n: number): string => `…ほか ${n} 件`,
    attacker: (depth: number): string => (depth === 0 ? '攻撃者の口座' : `攻撃者側の口座（第${depth}階層）`),
    victim: '被害口座',
    footer: 'NEM チェーン（NIS1）より',
  },
  en: {
    moveTitle: (xem: string, from: string, to: string): string =>
      `Stolen XEM moved: ${from} → ${to} (${xem})`,
    amount: 'Amount',
    value: (v: string, at: string): string => `≈ ${v} (consensus price at ${at})`,
    from: 'From',
    to: 'To',
    block: 'Block',
    tx: 'Transaction',
    multisig: ' (via multisig)',
    holdings: (h: Holdings, stolen: string): string =>
      `${h.holding} of ${h.attackerAccounts} attacker accounts hold ${formatPercent(h.heldPercent, 'en', false)} of the stolen ${stolen} XEM (last balances read)`,
    drainTitle: (xem: string, who: string, span: string): string =>
      `🚨 Possible theft in progress: ${xem} left ${who} in ${span}`,
    drainBody: (share: string, n: number, since: string): string =>
      `${share} of its balance left in ${n} transfer(s), the first at ${since}. The chain shows the transfers, not their cause: unconfirmed.`,
    balanceNow: 'Balance now',
    share: 'Share of balance',
    span: (min: number): string => `${min} min`,
    followTitle: (who: string): string => `Now watching ${who}`,
    followBody: (xem: string, funder: string, depth: number): string =>
      `It received ${xem} from the attacker account ${funder}, so it is watched as an attacker account (level ${depth}).`,
    burstTitle: (n: number, xem: string): string => `${n} movements of stolen XEM (${xem} in all)`,
    burstBody: (senders: string, recipients: number): string => `From ${senders} to ${recipients} account(s)`,
    more: (n: number): string => `… and ${n} more`,
    attacker: (depth: number): string =>
      depth === 0 ? 'attacker account' : `attacker account (level ${depth})`,
    victim: 'victim account',
    footer: 'From the NEM chain (NIS1)',
  },
};

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) =>
    k in values ? encodeURIComponent(values[k] ?? '') : m,
  );
}

export function xemText(micro: number, language: Language): string {
  return `${formatNumber(toXem(micro), language, 6)} XEM`;
}

/** A label from config, else the role and a short address, linked to the explorer. */
export function accountName(address: string, view: ChainView, language: Language, link = true): string {
  const t = say(language, TEXT);
  const a = view.accounts.get(address);
  const short = shortNemAddress(address);
  const name = a?.label
    ? escapeUntrusted(a.label)
    : a
      ? `${a.role === 'victim' ? t.victim : t.attacker(a.depth)} ${short}`
      : short;
  return link ? `[${name}](${fill(view.explorer.account, { address })})` : name;
}

function txLink(t: ChainTransfer, view: ChainView): string {
  return `[${t.hash.slice(0, 12)}…](${fill(view.explorer.transaction, { hash: t.hash })})`;
}

function valueText(micro: number, view: ChainView, language: Language): string | undefined {
  if (!view.price) return undefined;
  const value = formatPrice(toXem(micro) * view.price.value, view.price.currency, language);
  return say(language, TEXT).value(value, formatTime(view.price.at, language));
}

function holdingsText(view: ChainView, language: Language): string | undefined {
  const h = view.holdings;
  if (!h || h.attackerAccounts === 0) return undefined;
  return say(language, TEXT).holdings(h, formatNumber(view.stolenXem, language));
}

function embedOf(
  e: { title: string; description?: string; color: number; fields: APIEmbedField[]; at: number },
  language: Language,
): APIEmbed {
  return {
    title: truncate(e.title, LIMITS.embedTitle),
    ...(e.description ? { description: truncate(e.description, LIMITS.embedDescription) } : {}),
    color: e.color,
    fields: e.fields.slice(0, LIMITS.embedFields).map((f) => ({
      ...f,
      name: truncate(f.name, LIMITS.fieldName),
      value: truncate(f.value, LIMITS.fieldValue),
    })),
    footer: { text: say(language, TEXT).footer },
    timestamp: new Date(e.at).toISOString(),
  };
}

export function renderMovement(t: ChainTransfer, view: ChainView, language: Language): MessagePayload {
  const tx = say(language, TEXT);
  const amount = xemText(t.microXem, language);
  const value = valueText(t.microXem, view, language);
  const fields: APIEmbedField[] = [
    { name: tx.amount, value: value ? `${amount}\n${value}` : amount, inline: false },
    {
      name: tx.from,
      value: accountName(t.from, view, language) + (t.multisig ? tx.multisig : ''),
      inline: true,
    },
    { name: tx.to, value: accountName(t.to, view, language), inline: true },
    {
      name: tx.block,
      value: `${formatNumber(t.height, language)} · ${formatTime(t.at, language)}`,
      inline: false,
    },
    { name: tx.tx, value: txLink(t, view), inline: false },
  ];
  const title = tx.moveTitle(
    amount,
    accountName(t.from, view, language, false),
    accountName(t.to, view, language, false),
  );
  const description = holdingsText(view, language);
  return {
    embeds: [
      embedOf(
        { title, ...(description ? { description } : {}), color: COLOR_MOVE, fields, at: t.at },
        language,
      ),
    ],
    allowed_mentions: NO_MENTIONS,
  };
}

export function renderDrain(alert: DrainAlert, view: ChainView, language: Language): MessagePayload {
  const tx = say(language, TEXT);
  const who = accountName(alert.address, view, language, false);
  const minutes = Math.max(1, Math.ceil((alert.lastAt - alert.firstAt) / 60_000));
  const title = tx.drainTitle(xemText(alert.outMicro, language), who, tx.span(minutes));
  const share = formatPercent(alert.sharePercent, language, false);
  const fields: APIEmbedField[] = [
    {
      name: tx.amount,
      value: [xemText(alert.outMicro, language), valueText(alert.outMicro, view, language)]
        .filter(Boolean)
        .join('\n'),
      inline: false,
    },
    { name: tx.share, value: share, inline: true },
    ...(alert.balanceMicro !== undefined
      ? [{ name: tx.balanceNow, value: xemText(alert.balanceMicro, language), inline: true }]
      : []),
    { name: tx.from, value: accountName(alert.address, view, language), inline: false },
  ];
  return {
    content: truncate(title, LIMITS.content),
    embeds: [
      embedOf(
        {
          title,
          description: tx.drainBody(share, alert.transfers, formatTime(alert.firstAt, language)),
          color: COLOR_DRAIN,
          fields,
          at: alert.lastAt,
        },
        language,
      ),
    ],
    allowed_mentions: NO_MENTIONS,
  };
}

export function renderNewAccount(
  account: WatchedAccount,
  funding: ChainTransfer | undefined,
  view: ChainView,
  language: Language,
): MessagePayload {
  const tx = say(language, TEXT);
  const who = accountName(account.address, view, language, false);
  const funder = account.fundedBy ? accountName(account.fundedBy, view, language) : '?';
  const description = funding
    ? tx.followBody(xemText(funding.microXem, language), funder, account.depth)
    : undefined;
  const fields: APIEmbedField[] = [
    { name: tx.to, value: accountName(account.address, view, language), inline: false },
  ];
  if (funding) fields.push({ name: tx.tx, value: txLink(funding, view), inline: false });
  return {
    embeds: [
      embedOf(
        {
          title: tx.followTitle(who),
          ...(description ? { description } : {}),
          color: COLOR_FOLLOW,
          fields,
          at: account.since,
        },
        language,
      ),
    ],
    allowed_mentions: NO_MENTIONS,
  };
}

export function renderBurst(
  transfers: readonly ChainTransfer[],
  view: ChainView,
  language: Language,
): MessagePayload {
  const tx = say(language, TEXT);
  const sorted = [...transfers].sort((a, b) => a.at - b.at);
  const total = sorted.reduce((s, t) => s + t.microXem, 0);
  const senders = [...new Set(sorted.map((t) => t.from))].map((a) => accountName(a, view, language, false));
  const recipients = new Set(sorted.map((t) => t.to)).size;
  const lines: string[] = [tx.burstBody(senders.join(', '), recipients)];
  const holdings = holdingsText(view, language);
  if (holdings) lines.push(holdings);
  lines.push('');
  // Whole lines only, within the description limit; the rest is counted.
  let shown = 0;
  let length = lines.join('\n').length;
  for (const t of sorted) {
    const line = `${formatTime(t.at, language)} · ${xemText(t.microXem, language)} → ${accountName(t.to, view, language)} · ${txLink(t, view)}`;
    if (length + line.length + 40 > LIMITS.embedDescription - 200) break;
    lines.push(line);
    length += line.length + 1;
    shown++;
  }
  if (shown < sorted.length) lines.push(tx.more(sorted.length - shown));
  const last = sorted[sorted.length - 1];
  return {
    embeds: [
      embedOf(
        {
          title: tx.burstTitle(sorted.length, xemText(total, language)),
          description: lines.join('\n'),
          color: COLOR_MOVE,
          fields: [],
          at: last?.at ?? 0,
        },
        language,
      ),
    ],
    allowed_mentions: NO_MENTIONS,
  };
}

export function movementAnnouncement(t: ChainTransfer, view: ChainView): Announcement {
  return { key: `chain:tx:${t.hash}`, kind: 'chain', render: (l) => renderMovement(t, view, l) };
}

export function drainAnnouncement(alert: DrainAlert, view: ChainView): Announcement {
  return {
    key: `chain:drain:${alert.address}:${alert.firstHash}`,
    kind: 'chain',
    render: (l) => renderDrain(alert, view, l),
  };
}

export function newAccountAnnouncement(
  account: WatchedAccount,
  funding: ChainTransfer | undefined,
  view: ChainView,
): Announcement {
  return {
    key: `chain:watch:${account.address}`,
    kind: 'chain',
    render: (l) => renderNewAccount(account, funding, view, l),
  };
}

export function burstAnnouncement(transfers: readonly ChainTransfer[], view: ChainView): Announcement {
  const hashes = transfers.map((t) => t.hash).sort();
  return {
    key: `chain:burst:${hashes[0]}:${hashes[hashes.length - 1]}:${hashes.length}`,
    kind: 'chain',
    render: (l) => renderBurst(transfers, view, l),
  };
}
