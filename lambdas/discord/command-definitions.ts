import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  PermissionFlagsBits,
} from './api-values';
import { incidentOption, str, sub } from './command-options';
import { feedsDefinition } from './feeds-definition';

/**
 * The slash commands, as data: the register script PUTs exactly this list (bulk overwrite) and
 * the handler dispatches on the same names. English is the default; `ja` localizations are shown
 * to Japanese clients.
 *
 * Permissions:
 * - /alerts carries default_member_permissions = Manage Channels, so Discord hides it from others,
 *   and the handler checks member.permissions again (server admins can override the default).
 * - /refund set-stage and set-terms are admins only. Discord's default_member_permissions applies to a whole
 *   top-level command, and /refund show|calc are for everyone, so set-stage stays a subcommand
 *   of /refund and the handler refuses it unless member.permissions has Administrator. Server
 *   owners can additionally restrict it in Server Settings > Integrations.
 * - Discord cannot mix a command's own options with subcommands, so "/refund [incident]" is
 *   `/refund show [incident]`.
 */

export const COMMAND = {
  price: 'price',
  refund: 'refund',
  news: 'news',
  alerts: 'alerts',
  status: 'status',
  chain: 'chain',
  feeds: 'feeds',
} as const;

export const SUB = {
  refundShow: 'show',
  refundCalc: 'calc',
  refundSetStage: 'set-stage',
  refundSetTerms: 'set-terms',
  alertsSubscribe: 'subscribe',
  alertsUnsubscribe: 'unsubscribe',
  alertsList: 'list',
  feedsAdd: 'add',
  feedsRemove: 'remove',
  feedsList: 'list',
} as const;

export const PRICE_RANGES = ['24h', '7d', '30d'] as const;
export type PriceRange = (typeof PRICE_RANGES)[number];

/** Permission bits checked server side (member.permissions is a decimal string of these bits). */
export const REQUIRED_PERMISSION = {
  alerts: PermissionFlagsBits.ManageChannels,
  feeds: PermissionFlagsBits.ManageChannels,
  refundSetStage: PermissionFlagsBits.Administrator,
} as const;

const guildAndDm = [InteractionContextType.Guild, InteractionContextType.BotDM];

const price: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: COMMAND.price,
  name_localizations: { ja: '価格' },
  description: 'Current price: consensus, per venue, 24 h change, distance from the refund price, chart',
  description_localizations: { ja: '現在の価格（合意価格・取引所別・24時間変化・返金価格との差・チャート）' },
  contexts: guildAndDm,
  options: [
    str('asset', '銘柄', 'Asset, e.g. XEM (default: the incident asset)', '銘柄（例: XEM）'),
    str('venue', '取引所', 'Only this exchange, e.g. zaif', 'この取引所のみ（例: zaif）'),
    str('range', '期間', 'Chart range', 'チャートの期間', {
      choices: PRICE_RANGES.map((r) => ({ name: r, value: r })),
    }),
  ],
};

const refund: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: COMMAND.refund,
  name_localizations: { ja: '返金' },
  description: 'Refund terms and status',
  description_localizations: { ja: '返金の条件と状況' },
  contexts: guildAndDm,
  options: [
    sub(
      SUB.refundShow,
      '表示',
      'Refund terms and current stage with evidence',
      '返金条件と現在の段階（根拠リンク付き）',
      [incidentOption],
    ),
    sub(
      SUB.refundCalc,
      '計算',
      'What an amount was refunded at, and its worth today',
      '返金額と現在の価値を計算',
      [
        {
          type: ApplicationCommandOptionType.Number,
          name: 'amount',
          name_localizations: { ja: '数量' },
          description: 'Amount of the stolen asset, e.g. 1000',
          description_localizations: { ja: '流出した通貨の数量（例: 1000）' },
          required: true,
          min_value: 0,
        },
        incidentOption,
      ],
    ),
    sub(
      SUB.refundSetStage,
      '段階設定',
      'Admins only: correct the refund stage (audited)',
      '管理者のみ: 返金の段階を修正（記録されます）',
      [
        str('stage', '段階', 'New stage', '新しい段階', { required: true }),
        str('reason', '理由', 'Why (kept in the audit log)', '理由（監査記録に残ります）', {
          required: true,
          max_length: 500,
        }),
        str('evidence', '根拠', 'Evidence links, separated by spaces', '根拠リンク（空白区切り）', {
          max_length: 1000,
        }),
        incidentOption,
      ],
    ),
    sub(
      SUB.refundSetTerms,
      '条件設定',
      'Admins only: set the refund terms (rate, currency, …; audited)',
      '管理者のみ: 返金条件（レート・通貨など）を設定（記録されます）',
      [
        {
          type: ApplicationCommandOptionType.Number,
          name: 'rate',
          name_localizations: { ja: 'レート' },
          description: 'Refund rate per unit of the asset, e.g. 88.549',
          description_localizations: { ja: '1 単位あたりの返金レート（例: 88.549）' },
          required: true,
          min_value: 0,
        },
        str('currency', '通貨', 'Currency of the rate, e.g. JPY', 'レートの通貨（例: JPY）', {
          required: true,
          max_length: 10,
        }),
        str('reason', '理由', 'Why (kept in the audit log)', '理由（監査記録に残ります）', {
          required: true,
          max_length: 500,
        }),
        str('venue', '取引所', 'Venue the rate was taken on', 'レートの基準取引所', { max_length: 100 }),
        str('window_from', '期間開始', 'Reference window start (ISO time)', '基準期間の開始（ISO 時刻）', {
          max_length: 40,
        }),
        str('window_to', '期間終了', 'Reference window end (ISO time)', '基準期間の終了（ISO 時刻）', {
          max_length: 40,
        }),
        {
          type: ApplicationCommandOptionType.Integer,
          name: 'holders',
          name_localizations: { ja: '対象者数' },
          description: 'About how many holders are refunded',
          description_localizations: { ja: '返金対象者のおおよその数' },
          required: false,
          min_value: 1,
        },
        {
          type: ApplicationCommandOptionType.Number,
          name: 'total',
          name_localizations: { ja: '総額' },
          description: 'Total refunded, in the currency',
          description_localizations: { ja: '返金総額（通貨建て）' },
          required: false,
          min_value: 0,
        },
        incidentOption,
      ],
    ),
  ],
};

const news: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: COMMAND.news,
  name_localizations: { ja: 'ニュース' },
  description: 'Latest news about the incident',
  description_localizations: { ja: '事件に関する最新ニュース' },
  contexts: guildAndDm,
  options: [
    incidentOption,
    {
      type: ApplicationCommandOptionType.Integer,
      name: 'count',
      name_localizations: { ja: '件数' },
      description: 'How many items (1-10, default 5)',
      description_localizations: { ja: '件数（1〜10、既定 5）' },
      required: false,
      min_value: 1,
      max_value: 10,
    },
  ],
};

const kindChoices = [
  { name: 'price', name_localizations: { ja: '価格' }, value: 'price' },
  { name: 'news', name_localizations: { ja: 'ニュース' }, value: 'news' },
  { name: 'refund', name_localizations: { ja: '返金' }, value: 'refund' },
  { name: 'chain', name_localizations: { ja: 'チェーン' }, value: 'chain' },
];

const alerts: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: COMMAND.alerts,
  name_localizations: { ja: '通知' },
  description: "Manage this channel's alerts (Manage Channels)",
  description_localizations: { ja: 'このチャンネルの通知を管理（チャンネル管理権限）' },
  default_member_permissions: String(REQUIRED_PERMISSION.alerts),
  contexts: [InteractionContextType.Guild],
  options: [
    sub(
      SUB.alertsSubscribe,
      '登録',
      'Send a kind of message (and a price rule) to this channel',
      'このチャンネルに通知を登録',
      [
        str('kind', '種類', 'What to receive', '受け取る種類', { required: true, choices: kindChoices }),
        {
          type: ApplicationCommandOptionType.Number,
          name: 'drop_percent',
          name_localizations: { ja: '下落率' },
          description: 'Price: alert on a fall of this many percent (above 0, below 100)',
          description_localizations: { ja: '価格: この割合（%）の下落で通知（0 より大きく 100 未満）' },
          required: false,
        },
        {
          type: ApplicationCommandOptionType.Number,
          name: 'rise_percent',
          name_localizations: { ja: '上昇率' },
          description: 'Price: alert on a rise of this many percent (above 0, below 100)',
          description_localizations: { ja: '価格: この割合（%）の上昇で通知（0 より大きく 100 未満）' },
          required: false,
        },
        {
          type: ApplicationCommandOptionType.Integer,
          name: 'window_minutes',
          name_localizations: { ja: '期間分' },
          description: 'Price: the fall or rise is measured over this many minutes (default 60)',
          description_localizations: { ja: '価格: 下落・上昇を測る期間（分、既定 60）' },
          required: false,
        },
        {
          type: ApplicationCommandOptionType.Boolean,
          name: 'below_reference',
          name_localizations: { ja: '返金価格割れ' },
          description: 'Price: alert when the price goes below the refund price',
          description_localizations: { ja: '価格: 返金価格を下回ったら通知' },
          required: false,
        },
        {
          type: ApplicationCommandOptionType.Number,
          name: 'above',
          name_localizations: { ja: '上抜け価格' },
          description: "Price: alert when the price crosses above this level (in the series' quote currency)",
          description_localizations: { ja: '価格: この価格を上回ったら通知（シリーズの決済通貨建て）' },
          required: false,
        },
        {
          type: ApplicationCommandOptionType.Number,
          name: 'below',
          name_localizations: { ja: '下抜け価格' },
          description: "Price: alert when the price crosses below this level (in the series' quote currency)",
          description_localizations: { ja: '価格: この価格を下回ったら通知（シリーズの決済通貨建て）' },
          required: false,
        },
        str(
          'series',
          'シリーズ',
          'Price: the series of above/below, e.g. XEM/JPY, or its quote currency (needed when several)',
          '価格: above/below の対象シリーズ（例: XEM/JPY）または決済通貨。複数あるときは必須',
        ),
        {
          type: ApplicationCommandOptionType.Role,
          name: 'mention_role',
          name_localizations: { ja: 'メンションロール' },
          description: 'Mention this role (only this role) on messages of this kind here',
          description_localizations: { ja: 'この種類の通知でこのロール（のみ）をメンション' },
          required: false,
        },
        str('language', '言語', 'Message language for this channel', 'このチャンネルの言語', {
          choices: [
            { name: 'English', value: 'en' },
            { name: '日本語', value: 'ja' },
          ],
        }),
      ],
    ),
    sub(SUB.alertsUnsubscribe, '解除', 'Stop a kind of message (or one price rule) here', '通知を解除', [
      str('kind', '種類', 'What to stop', '解除する種類', {
        required: true,
        choices: [...kindChoices, { name: 'all', name_localizations: { ja: 'すべて' }, value: 'all' }],
      }),
      str(
        'rule',
        'ルール',
        'Only this price rule, e.g. drop-5-60, rise-5-60, above-150-XEM/JPY or below-ref',
        'この価格ルールのみ（例: drop-5-60）',
      ),
      {
        type: ApplicationCommandOptionType.Boolean,
        name: 'mention_only',
        name_localizations: { ja: 'メンションのみ' },
        description: 'Keep the messages, stop only the role mention for this kind',
        description_localizations: { ja: '通知は残し、この種類のロールメンションのみ解除' },
        required: false,
      },
    ]),
    sub(SUB.alertsList, '一覧', 'What this channel receives', 'このチャンネルの通知一覧'),
  ],
};

const status: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: COMMAND.status,
  name_localizations: { ja: '状態' },
  description: 'Bot health: last job runs, sources, feeds, pending deliveries',
  description_localizations: { ja: 'ボットの状態（ジョブ・価格ソース・フィード・未送信）' },
  contexts: guildAndDm,
};

const chain: RESTPostAPIChatInputApplicationCommandsJSONBody = {
  type: ApplicationCommandType.ChatInput,
  name: COMMAND.chain,
  name_localizations: { ja: 'チェーン' },
  description: 'On-chain watch: the watched NEM accounts, their balances and the last movements',
  description_localizations: { ja: 'チェーン監視: 監視中の NEM 口座・残高・最近の移動' },
  contexts: guildAndDm,
};

/** What `npm run register-commands` sends (PUT, bulk overwrite): the handler serves exactly these. */
export const COMMAND_DEFINITIONS: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  price,
  refund,
  news,
  alerts,
  status,
  chain,
  feedsDefinition(),
];

/** The same list typed as the bulk-overwrite body. */
