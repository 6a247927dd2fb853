import type { HandOff } from '../discord/deferred';
import {
  createInteractionDeps,
  handleInteraction,
  type InteractionEvent,
  type InteractionHttpResponse,
} from '../discord/interactions';
import { lambdaContainer } from './container';
import { ENV } from './env';
import { lambdaInvokeHandOff } from './hand-off';
import { discordSettings } from './secrets';

export type { InteractionEvent, InteractionHttpResponse };

let handOff: HandOff | undefined;

/** The async invoke of the worker function the stack names (lib/goxwatch-stack.ts). */
function workerHandOff(): HandOff {
  if (handOff) return handOff;
  const worker = process.env[ENV.workerFunction];
  if (!worker) throw new Error(`${ENV.workerFunction} is not set: deferred replies cannot be handed off`);
  return (handOff = lambdaInvokeHandOff(worker));
}

/** One interaction request inside the Lambda: this instance's container and secrets, then dispatch. */
export async function respondToInteraction(event: InteractionEvent): Promise<InteractionHttpResponse> {
  const container = await lambdaContainer();
  const settings = await discordSettings();
  const deps = createInteractionDeps(container, {
    publicKey: settings.publicKey,
    ...(settings.applicationId ? { applicationId: settings.applicationId } : {}),
    handOff: (work) => workerHandOff()(work),
  });
  return handleInteraction(event, deps);
}
