import type {
  APIApplicationCommand,
  RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord-api-types/v10';
import { COMMAND_DEFINITIONS } from './command-definitions';
import { createDiscordClient } from './rest-client';

export interface RegisterCommandsOptions {
  /** DISCORD_API_BASE without a version, e.g. https://discord.com/api. */
  apiBase: string;
  /** Bot token (DISCORD_BOT_TOKEN). */
  token: string;
  /** DISCORD_APPLICATION_ID. */
  applicationId: string;
  /** Register to this guild only (instant; for testing). Unset: global (may take a while to show). */
  guildId?: string;
}

/**
 * `npm run register-commands`: a bulk overwrite (PUT) of the command set from
 * lambdas/discord/command-definitions.ts. Idempotent: running it twice leaves the same commands; commands no
 * longer in the list are removed by Discord.
 */
export async function registerCommands(opts: RegisterCommandsOptions): Promise<APIApplicationCommand[]> {
  if (!/^\d{5,25}$/.test(opts.applicationId))
    throw new Error(
      `DISCORD_APPLICATION_ID must be the application's numeric id (got "${opts.applicationId}")`,
    );
  if (opts.guildId !== undefined && !/^\d{5,25}$/.test(opts.guildId))
    throw new Error(`guild id must be numeric (got "${opts.guildId}")`);
  const client = createDiscordClient({
    token: opts.token,
    apiBase: opts.apiBase,
    maxRateLimitWaitMs: 30_000,
  });
  if (!opts.guildId) return client.putGlobalCommands(opts.applicationId, COMMAND_DEFINITIONS);
  // Guild commands have no installation contexts: those fields are global-only.
  const guildCommands: RESTPutAPIApplicationGuildCommandsJSONBody = COMMAND_DEFINITIONS.map((c) => {
    const { contexts: _contexts, integration_types: _types, ...rest } = c;
    return rest;
  });
  return client.putGuildCommands(opts.applicationId, opts.guildId, guildCommands);
}
