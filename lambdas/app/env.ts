/**
 * Every environment variable goxwatch reads, by name. The stack (lib/goxwatch-stack.ts) imports
 * these to set them, so a rename here renames both sides.
 */
export const ENV = {
  /** The DynamoDB table (set by the stack). */
  table: 'GOXWATCH_TABLE',
  /** The validated config as JSON (set by the stack; docs/adr/0009-config-in-an-env-var.md). */
  configJson: 'GOXWATCH_CONFIG_JSON',
  /** A config file path (local runs). */
  configFile: 'GOXWATCH_CONFIG',
  /** The local runner's data folder (embedded DynamoDB, dev key). */
  dataDir: 'GOXWATCH_DATA_DIR',
  /** A DynamoDB endpoint instead of the region's (dynalite, DynamoDB Local, the bundle smoke test). */
  storeEndpoint: 'STORE_ENDPOINT',
  discordApiBase: 'DISCORD_API_BASE',
  discordApplicationId: 'DISCORD_APPLICATION_ID',
  /** The bot token itself (local runs); in AWS the SSM SecureString parameter named by discordTokenParameter. */
  discordBotToken: 'DISCORD_BOT_TOKEN',
  discordTokenParameter: 'DISCORD_TOKEN_PARAMETER',
  /** The application's public key, hex: not a secret, so plain env locally and in AWS (-c discordPublicKey; ADR 0020). */
  discordPublicKey: 'DISCORD_PUBLIC_KEY',
  /** The interactions worker's function name: the endpoint's hand-off target (set by the stack; ADR 0008). */
  workerFunction: 'GOXWATCH_WORKER_FUNCTION',
  /** A Lambda API endpoint instead of the region's (the bundle smoke test's loopback). */
  lambdaEndpoint: 'LAMBDA_ENDPOINT',
  /** How slash commands reach the local runner: gateway or http (default: gateway with a token and no public key). */
  commandTransport: 'GOXWATCH_TRANSPORT',
  /** The channel the replay posts to when a bot token is set. */
  replayDiscordChannel: 'REPLAY_DISCORD_CHANNEL',
} as const;

export const DEFAULT_DISCORD_API_BASE = 'https://discord.com/api';
