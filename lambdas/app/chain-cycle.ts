import { NemNis1Reader } from '../sources/chains/nem-nis1';
import type { ChainReader } from '../sources/chains/chain-reader';
import type { Config } from '../domain/config';
import type { Container } from './container';
import { deliverAfterJob, type Bot, type CycleOptions } from './bot';
import type { DeliveryResult } from './jobs/delivery';
import { runChainJob, type ChainCycleResult } from './jobs/chain-job';

/** One poll of the on-chain watch, then delivery of what it queued (the drain alert first). */
export async function chainCycle(
  bot: Bot,
  reader: ChainReader,
  opts: CycleOptions = {},
): Promise<{ chain: ChainCycleResult; delivery: DeliveryResult | undefined }> {
  const chain = await runChainJob(bot.container, { reader });
  bot.container.logger.info(chain.summary);
  const delivery = await deliverAfterJob(bot, chain.enqueued, opts);
  return { chain, delivery };
}

/** The NEM reader for a config, or undefined when nothing is watched (no chains.nem or no watch list). */
export function createChainReader(config: Config): ChainReader | undefined {
  const nem = config.chains?.nem;
  if (!nem || !config.incidents.some((i) => (i.watch ?? []).length > 0)) return undefined;
  return new NemNis1Reader({ config: nem });
}

// The reader remembers the node that last worked: warm starts keep it.
let lambdaReader: ChainReader | undefined;

/** The chain reader of this Lambda instance, built on first use from the config. */
export function lambdaChainReader(container: Container): ChainReader | undefined {
  lambdaReader ??= createChainReader(container.config);
  return lambdaReader;
}
