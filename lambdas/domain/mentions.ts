import type { MessageKind } from './config';
import type { MessagePayload } from './messages';

/**
 * A channel's opt-in role ping (`/alerts subscribe … mention_role:@role`): that one role, for the
 * kinds chosen. Never @everyone or @here: allowed_mentions.parse stays empty and only this role
 * is listed in allowed_mentions.roles, so nothing else in a message can ping anyone.
 */
export interface MentionRole {
  roleId: string;
  kinds: MessageKind[];
}

/** A Discord id (snowflake) as text. */
const SNOWFLAKE = /^\d{17,20}$/;

/**
 * Why a role id cannot be pinged, or undefined when it can. The @everyone role's id is the
 * guild's own id, so it is refused here too.
 */
export function mentionRoleProblem(roleId: string, guildId: string): string | undefined {
  if (!SNOWFLAKE.test(roleId)) return `"${roleId}" is not a Discord role id`;
  if (roleId === guildId) return '@everyone cannot be mentioned';
  return undefined;
}

/** The payload with the role mentioned first; Discord pings that role only. */
export function withRoleMention(payload: MessagePayload, roleId: string): MessagePayload {
  if (!SNOWFLAKE.test(roleId)) throw new Error(`role id "${roleId}" is not a Discord id`);
  const mention = `<@&${roleId}>`;
  return {
    ...payload,
    content: payload.content ? `${mention}\n${payload.content}` : mention,
    allowed_mentions: { parse: [], roles: [roleId] },
  };
}

/** Mention this role for this kind too. One role per channel: another role replaces the old one. */
export function addMentionKind(
  current: MentionRole | undefined,
  roleId: string,
  kind: MessageKind,
): MentionRole {
  if (!current || current.roleId !== roleId) return { roleId, kinds: [kind] };
  return { roleId, kinds: [...new Set([...current.kinds, kind])] };
}

/** Stop mentioning for this kind (or all); undefined when no kind is left. */
export function removeMentionKind(
  current: MentionRole | undefined,
  kind: MessageKind | 'all',
): MentionRole | undefined {
  if (!current) return undefined;
  const kinds = kind === 'all' ? [] : current.kinds.filter((k) => k !== kind);
  return kinds.length ? { roleId: current.roleId, kinds } : undefined;
}
