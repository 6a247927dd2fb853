import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord-api-types/v10';
import { ApplicationCommandType, InteractionContextType, PermissionFlagsBits } from './api-values';
import { str, sub } from './command-options';

/**
 * /feeds add|remove|list: a server's own news feeds beside the config's. Manage Channels by
 * default (default_member_permissions), checked again by the handler. A function, not a constant:
 * command-definitions.ts imports it, and the names it uses live there (no import cycle at load).
 */
export function feedsDefinition(): RESTPostAPIChatInputApplicationCommandsJSONBody {
  return {
    type: ApplicationCommandType.ChatInput,
    name: 'feeds',
    name_localizations: { ja: 'フィード' },
    description: "Manage this server's news feeds (Manage Channels)",
    description_localizations: { ja: 'このサーバーのニュースフィードを管理（チャンネル管理権限）' },
    default_member_permissions: String(PermissionFlagsBits.ManageChannels),
    contexts: [InteractionContextType.Guild],
    options: [
      sub(
        'add',
        '追加',
        'Add an RSS or Atom feed (checked once before it is stored)',
        'RSS/Atom フィードを追加（保存前に一度確認）',
        [
          str('url', 'url', 'The feed address (http or https)', 'フィードのアドレス（http/https）', {
            required: true,
            max_length: 500,
          }),
          str(
            'incident',
            '事件',
            'Match it against this incident only (default: every incident)',
            'この事件のみに照合（省略時はすべての事件）',
          ),
        ],
      ),
      sub('remove', '削除', 'Remove a feed this server added', 'このサーバーで追加したフィードを削除', [
        str('id', 'id', 'Feed id, as /feeds list shows it', 'フィード ID（/feeds list に表示）', {
          required: true,
        }),
      ]),
      sub('list', '一覧', "The config's feeds and this server's", '設定ファイルとこのサーバーのフィード一覧'),
    ],
  };
}
