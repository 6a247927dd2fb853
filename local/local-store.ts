import { join, resolve } from 'node:path';
import { ENV } from '../lambdas/app/env';
import { systemClock } from '../lambdas/domain/clock';
import { errorMessage } from '../lambdas/domain/log';
import type { Config } from '../lambdas/domain/config';
import { Store, dynamoClient } from '../lambdas/store/store';
import { TABLE } from '../lambdas/store/table';
import { DataDirError, startEmbeddedDynamo, watchDataDir, type EmbeddedDynamo } from './embedded-dynamo';

/** The local runner's store: where `npm start`, `cmd`, `refund` and `feeds` keep their data. */

/** GOXWATCH_DATA_DIR, else .data/ in the project. */
export function dataDir(): string {
  return resolve(process.env[ENV.dataDir] ?? join(__dirname, '..', '.data'));
}

export interface OpenStore {
  store: Store;
  where: string;
  /** The embedded store's folder (undefined with STORE_ENDPOINT). */
  dir: string | undefined;
  close(): Promise<void>;
}

/**
 * STORE_ENDPOINT / config.store.endpoint when given, else dynalite on disk in the data dir (created
 * if missing). Every way the folder can be unusable is a DataDirError naming it (exit 2).
 */
export async function openStore(config: Config): Promise<OpenStore> {
  const endpoint = process.env[ENV.storeEndpoint] || config.store?.endpoint;
  const tableName = config.store?.tableName ?? TABLE.defaultName;
  const dir = endpoint ? undefined : join(dataDir(), 'dynamo');
  let embedded: EmbeddedDynamo | undefined;
  if (dir) {
    try {
      embedded = await startEmbeddedDynamo(dir);
    } catch (err) {
      if (err instanceof DataDirError) throw err;
      throw new DataDirError(`cannot open the embedded store in ${dir}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  const client = dynamoClient(endpoint ?? embedded?.endpoint);
  const store = new Store(client, tableName, systemClock);
  try {
    await store.ensureTable();
  } catch (err) {
    client.destroy();
    await embedded?.close();
    if (!dir) throw err;
    throw new DataDirError(
      `the store in ${dir} cannot be read (${errorMessage(err)}): it may be corrupt; move the folder aside to start with an empty store`,
      { cause: err },
    );
  }
  return {
    store,
    where: endpoint ?? `embedded DynamoDB (dynalite) in ${dir}`,
    dir,
    close: async () => {
      client.destroy();
      await embedded?.close();
    },
  };
}

/** Stop with one clear line (exit 2) when the data dir is deleted under the running bot. */
export function exitWhenDataDirDeleted(opened: OpenStore, log: (line: string) => void): () => void {
  if (!opened.dir) return () => undefined;
  const dir = opened.dir;
  return watchDataDir(dir, () => {
    log(
      `goxwatch: the data dir ${dir} was deleted while running; stopping so nothing more is written into a store that is gone (restart to begin with an empty one)`,
    );
    process.exit(2);
  });
}
