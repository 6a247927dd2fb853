import { createFetchFollowUp } from '../discord/followup';
import {
  createInteractionDeps,
  handleInteraction,
  type InteractionEvent,
  type InteractionHttpResponse,
} from '../discord/interactions';
import { lambdaContainer } from './container';
import { discordSettings } from './secrets';

export type { InteractionEvent, InteractionHttpResponse };

/** One interaction request inside the Lambda: this instance's container and secrets, then dispatch. */
export async function respondToInteraction(event: InteractionEvent): Promise<InteractionHttpResponse> {
  const container = await lambdaContainer();
  const settings = await discordSettings();
  const deps = createInteractionDeps({
    config: container.config,
    store: container.store,
    clock: container.clock,
    logger: container.logger,
    publicKey: settings.publicKey,
    ...(settings.applicationId ? { applicationId: settings.applicationId } : {}),
    followUp: createFetchFollowUp({ apiBase: settings.apiBase }),
  });
  return handleInteraction(event, deps);
}
