import { NemNis1Reader } from '../sources/chains/nem-nis1';
import type { ChainReader } from '../sources/chains/chain-reader';
import type { Config } from '../domain/config';
import type { Runtime } from './container';
import { deliverAndReport, type Bot } from './bot';
import type { DeliveryResult } from './jobs/delivery';
import { runChainJob, type ChainCycleResult } from './jobs/chain-job';

/** One poll of the on-chain watch, then delivery of what it queued (the drain alert first). */
export async function chainCycle(
  bot: Bot,
  reader: ChainReader,
): Promise<{ chain: ChainCycleResult; delivery: DeliveryResult }> {
  const { config, store, clock, logger, publish } = bot.runtime;
  const chain = await runChainJob({ config, store, clock, logger, reader, publish });
  logger.info(chain.summary);
  const delivery = await deliverAndReport(bot);
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

export function containerChainReader(runtime: Runtime): ChainReader | undefined {
  lambdaReader ??= createChainReader(runtime.config);
  return lambdaReader;
}
