import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerDeps } from '../lambdas/discord/deferred';
import { createFetchFollowUp, printFollowUp } from '../lambdas/discord/followup';
import type { FollowUp } from '../lambdas/discord/interaction-reply';
import type { SendGuard } from '../lambdas/discord/rest-client';
import type { Logger } from '../lambdas/domain/log';
import { DEV_KEY_FILE, loadOrCreateDevKey } from './dev-client';

/**
 * The local endpoint's key and follow-up sender (`npm start`): with DISCORD_PUBLIC_KEY set, real
 * Discord (follow-ups to the API base); unset, the dev key from the data folder, and follow-ups
 * printed here (dev interactions carry no real token). Local only: AWS always has the real key.
 */
export function localInteractionSetup(opts: {
  dataDir: string;
  publicKey: string | undefined;
  apiBase: string;
  logger: Logger;
  /** Save the first file of each printed follow-up (the /price chart) here. */
  saveFileTo?: string;
  /** The container's brakes on sending to Discord, for real follow-ups. */
  guard?: SendGuard;
}): { publicKey: string; followUp: WorkerDeps['followUp']; devKey: boolean } {
  if (opts.publicKey)
    return {
      publicKey: opts.publicKey,
      followUp: (window) =>
        createFetchFollowUp({
          apiBase: opts.apiBase,
          retries: window,
          ...(opts.guard ? { guard: opts.guard } : {}),
        }),
      devKey: false,
    };
  const key = loadOrCreateDevKey(opts.dataDir);
  opts.logger.info(
    `interactions: DISCORD_PUBLIC_KEY unset; trusting the local dev key (${join(opts.dataDir, DEV_KEY_FILE)}), follow-ups are printed`,
  );
  const printer = printFollowUp(opts.logger);
  const saveTo = opts.saveFileTo;
  const followUp: FollowUp = !saveTo
    ? printer
    : async (applicationId, token, message) => {
        // `npm run cmd -- price --save chart.png`: the reply's (first) file, to look at without Discord.
        const file = message.files?.[0];
        if (file) {
          writeFileSync(saveTo, file.data);
          opts.logger.info(`saved ${file.name} (${file.data.length} bytes) to ${saveTo}`);
        }
        await printer(applicationId, token, message);
      };
  return { publicKey: key.publicKeyHex, followUp: () => followUp, devKey: true };
}
