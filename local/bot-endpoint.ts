import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How `npm run cmd` finds the bot it may talk to: the running bot writes its endpoint (url, pid and
 * a random instance id) into its own data dir, and answers GET /goxwatch/instance with that id.
 * `cmd` reads the file from its data dir and uses the endpoint only when the pid is alive and the
 * endpoint answers as that instance; anything else on the port (another program, a bot of another
 * data dir, a stale file after kill -9) is never sent a command.
 */

export const BOT_ENDPOINT_FILE = 'bot-endpoint.json';
/** The path a bot's interactions server answers with its instance id (text/plain). */
export const INSTANCE_PATH = '/goxwatch/instance';

export interface BotEndpoint {
  /** The interactions endpoint, e.g. http://127.0.0.1:8787/interactions */
  url: string;
  pid: number;
  instance: string;
}

export function newInstanceId(): string {
  return randomBytes(16).toString('hex');
}

/** Written atomically (mode 600) by the running bot; the returned function removes it at stop. */
export function writeBotEndpoint(dataDir: string, endpoint: BotEndpoint): () => void {
  const file = join(dataDir, BOT_ENDPOINT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(endpoint), { mode: 0o600 });
  renameSync(tmp, file);
  return () => {
    // Only our own file: a newer bot on the same dir may have replaced it.
    if (readEndpointFile(dataDir)?.instance === endpoint.instance) rmSync(file, { force: true });
  };
}

export type RunningBot = { endpoint: BotEndpoint } | { none: string };

/**
 * The bot running on this data dir, or why there is none: no file, a file naming a process that is
 * gone (kill -9), or an endpoint that does not answer as the instance the file names.
 */
export async function findRunningBot(dataDir: string, timeoutMs = 5_000): Promise<RunningBot> {
  const endpoint = readEndpointFile(dataDir);
  if (!endpoint) return { none: 'no bot running on this data dir' };
  if (!processAlive(endpoint.pid))
    return { none: `stale ${BOT_ENDPOINT_FILE} (pid ${endpoint.pid} is not running)` };
  let answered: string;
  try {
    const res = await fetch(new URL(INSTANCE_PATH, endpoint.url), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    answered = res.ok ? (await res.text()).trim() : `HTTP ${res.status}`;
  } catch (err) {
    answered = (err as Error).name === 'TimeoutError' ? 'no answer' : 'not reachable';
  }
  if (answered !== endpoint.instance)
    return {
      none: `${endpoint.url} does not answer as the bot of this data dir (pid ${endpoint.pid}): ${answered === 'no answer' || answered === 'not reachable' ? answered : 'another instance'}`,
    };
  return { endpoint };
}

function readEndpointFile(dataDir: string): BotEndpoint | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dataDir, BOT_ENDPOINT_FILE), 'utf8'));
  } catch {
    return undefined; // missing or half-written: no bot we can identify
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { url, pid, instance } = parsed as Record<string, unknown>;
  if (typeof url !== 'string' || typeof pid !== 'number' || typeof instance !== 'string') return undefined;
  return { url, pid, instance };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
