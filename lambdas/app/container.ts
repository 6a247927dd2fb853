import { systemClock, type Clock } from '../domain/clock';
import type { Config } from '../domain/config';
import { consoleLogger, type Logger } from '../domain/log';
import type { Announcement } from '../domain/messages';
import { ruleIdsFor } from '../domain/rule-ids';
import { DiscordGuard } from '../store/discord-guard';
import { createRepositories, type Repositories } from '../store/repositories';
import { Store, dynamoClient } from '../store/store';
import { deployedConfig } from './deployed-config';
import { enqueue, type EnqueueTarget, type Enqueued } from './enqueue';
import { ENV } from './env';

/**
 * The container: the config, clock, logger and the repositories over the one table, built once
 * per process (warm Lambdas keep it). Every job (price, news, delivery) takes it rather than
 * building its own copies.
 */
export interface Container extends Repositories {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  /** The shared brakes on sending to Discord (Cloudflare ban backoff, invalid-request count). */
  guard: DiscordGuard;
  /** Bind an announcement (or alternatives about one event) to its channels as outbox entries. */
  enqueue(announcements: Announcement | Announcement[], target?: EnqueueTarget): Promise<Enqueued>;
}

export function createContainer(opts: {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
}): Container {
  const { config, store, clock, logger } = opts;
  const repositories = createRepositories(store, clock, config);
  const { outbox, subscriptions } = repositories;
  const defaultPriceRules = ruleIdsFor(config.rules);
  return {
    config,
    clock,
    logger,
    store,
    ...repositories,
    guard: new DiscordGuard(store, clock, logger),
    enqueue: (a, target) =>
      enqueue(a, { outbox, subscriptions, defaultLanguage: config.language, defaultPriceRules }, target),
  };
}

let lambdaContainerPromise: Promise<Container> | undefined;

/**
 * The container inside a Lambda: config from GOXWATCH_CONFIG_JSON (set by the stack, validated at
 * synth, not again here: lambdas/app/deployed-config.ts), the table
 * from GOXWATCH_TABLE, DynamoDB in the region (or STORE_ENDPOINT for the bundle smoke test).
 * Built once per Lambda instance; warm invocations reuse it.
 */
export function lambdaContainer(): Promise<Container> {
  lambdaContainerPromise ??= (async () => {
    const config = deployedConfig();
    const tableName = process.env[ENV.table];
    if (!tableName) throw new Error(`${ENV.table} is not set`);
    const store = new Store(
      dynamoClient(process.env[ENV.storeEndpoint] || undefined),
      tableName,
      systemClock,
    );
    return createContainer({ config, store, clock: systemClock, logger: consoleLogger });
  })();
  return lambdaContainerPromise;
}
