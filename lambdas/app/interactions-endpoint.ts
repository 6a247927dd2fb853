import { createFetchFollowUp } from '../discord/followup';
import {
  createInteractionDeps,
  handleInteraction,
  type InteractionEvent,
  type InteractionHttpResponse,
} from '../discord/interactions';
import { discordSettings, lambdaRuntime } from './container';

export type { InteractionEvent, InteractionHttpResponse };

/** One interaction request inside the Lambda: this container's runtime and secrets, then dispatch. */
export async function respondToInteraction(event: InteractionEvent): Promise<InteractionHttpResponse> {
  const runtime = await lambdaRuntime();
  const settings = await discordSettings();
  const deps = createInteractionDeps({
    config: runtime.config,
    store: runtime.store,
    clock: runtime.clock,
    logger: runtime.logger,
    publicKey: settings.publicKey,
    ...(settings.applicationId ? { applicationId: settings.applicationId } : {}),
    followUp: createFetchFollowUp({ apiBase: settings.apiBase }),
  });
  return handleInteraction(event, deps);
}
