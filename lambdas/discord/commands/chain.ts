import { say } from '../../domain/i18n';
import type { APIEmbed } from 'discord-api-types/v10';
import { holdings, type WatchedAccount } from '../../domain/chain-watch';
import { formatTime } from '../../domain/format';
import type { CommandReply } from '../interaction-reply';
import { LIMITS, NO_MENTIONS, truncate } from '../text';
import { accountName, xemText, type ChainView } from '../render-chain';
import { COLOR, CommandDeps, ParsedCommand } from './shared';

// ---- /chain -------------------------------------------------------------------------------------

const MAX_ACCOUNTS = 20;
const MAX_MOVEMENTS = 5;

/** The watched accounts (victim first, then by depth), their last read balances and the last movements. */
export async function chainCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const nem = deps.config.chains?.nem;
  const watched = nem ? await deps.chain.watched() : [];
  if (!nem || watched.length === 0)
    return {
      data: {
        content: say(lang, {
          en: 'No on-chain accounts are watched yet (config: incidents[].watch and chains.nem; the chain job adds them on its first poll).',
          ja: '監視中のチェーン上の口座はまだありません（設定: incidents[].watch と chains.nem。チェーンジョブの初回ポーリングで登録されます）。',
        }),
        allowed_mentions: NO_MENTIONS,
      },
      ephemeral: false,
    };
  const accounts: WatchedAccount[] = [...watched].sort((a, b) =>
    a.role === b.role ? a.depth - b.depth || a.since - b.since : a.role === 'victim' ? -1 : 1,
  );
  const incident =
    deps.config.incidents.find((i) => i.id === accounts[0]?.incidentId) ?? deps.config.incidents[0];
  const stolenXem = incident?.amountStolen ?? 0;
  const view: ChainView = {
    explorer: nem.explorer,
    accounts: new Map(accounts.map((a) => [a.address, a])),
    holdings: holdings(accounts, stolenXem),
    stolenXem,
  };
  const accountLines = accounts.slice(0, MAX_ACCOUNTS).map((a) => {
    const balance =
      a.balanceMicro !== undefined
        ? `${xemText(a.balanceMicro, lang)}${a.balanceAt !== undefined ? ` (${formatTime(a.balanceAt, lang)})` : ''}`
        : say(lang, { en: 'balance not read yet', ja: '残高未取得' });
    return `• ${accountName(a.address, view, lang)}: ${balance}`;
  });
  if (accounts.length > MAX_ACCOUNTS)
    accountLines.push(
      say(lang, {
        en: `… and ${accounts.length - MAX_ACCOUNTS} more`,
        ja: `…ほか ${accounts.length - MAX_ACCOUNTS} 件`,
      }),
    );
  // The last movements of the stolen coins: from attacker accounts, or out of a drained victim into one.
  const recent = (await deps.chain.recentTransfers(50))
    .filter(
      (t) => view.accounts.get(t.from)?.role === 'attacker' || view.accounts.get(t.to)?.role === 'attacker',
    )
    .slice(0, MAX_MOVEMENTS);
  const movementLines = recent.map(
    (t) =>
      `• ${formatTime(t.at, lang)} ${xemText(t.microXem, lang)}: ${accountName(t.from, view, lang, false)} → ${accountName(t.to, view, lang, false)}`,
  );
  const h = view.holdings;
  const summary =
    h && h.attackerAccounts > 0
      ? say(lang, {
          en: `${h.holding} of ${h.attackerAccounts} attacker accounts hold ${h.heldPercent.toFixed(1)}% of the stolen ${stolenXem.toLocaleString('en-US')} XEM (last balances read).`,
          ja: `攻撃者の口座 ${h.attackerAccounts} 件のうち ${h.holding} 件が、流出した ${stolenXem.toLocaleString('en-US')} XEM の ${h.heldPercent.toFixed(1)}% を保有（最後に読んだ残高）。`,
        })
      : '';
  const embed: APIEmbed = {
    title: truncate(
      say(lang, {
        en: `On-chain watch: ${accounts.length} NEM account(s)`,
        ja: `チェーン監視: NEM 口座 ${accounts.length} 件`,
      }),
      LIMITS.embedTitle,
    ),
    color: COLOR.info,
    description: truncate([summary, '', ...accountLines].join('\n').trim(), LIMITS.embedDescription),
    fields: [
      {
        name: say(lang, { en: 'Last movements', ja: '最近の移動' }),
        value: truncate(
          movementLines.join('\n') || say(lang, { en: 'none yet', ja: 'まだありません' }),
          LIMITS.fieldValue,
        ),
      },
    ],
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: false };
}
