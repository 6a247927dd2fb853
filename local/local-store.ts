import { join, resolve } from 'node:path';
import { ENV } from '../lambdas/app/env';
import { systemClock } from '../lambdas/domain/clock';
import type { Config } from '../lambdas/domain/config';
import { errorMessage } from '../lambdas/domain/log';
import { Store, dynamoClient } from '../lambdas/store/store';
import { TABLE } from '../lambdas/store/table';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';

/** The local runner's store: where `npm start`, `cmd`, `refund` and `feeds` keep their data. */

/** GOXWATCH_DATA_DIR, else .data/ in the project. */
export function dataDir(): string {
  return resolve(process.env[ENV.dataDir] ?? join(__dirname, '..', '.data'));
}

export interface OpenStore {
  store: Store;
  where: string;
  close(): Promise<void>;
}

/** STORE_ENDPOINT / config.store.endpoint when given, else dynalite on disk in the data dir (created if missing). */
export async function openStore(config: Config): Promise<OpenStore> {
  const endpoint = process.env[ENV.storeEndpoint] || config.store?.endpoint;
  const tableName = config.store?.tableName ?? TABLE.defaultName;
  let embedded: EmbeddedDynamo | undefined;
  if (!endpoint) {
    const dir = join(dataDir(), 'dynamo');
    try {
      embedded = await startEmbeddedDynamo(dir);
    } catch (err) {
      throw new Error(
        `cannot open the embedded store in ${dir}: ${errorMessage(err)} (is another goxwatch using this data dir? set GOXWATCH_DATA_DIR)`,
        { cause: err },
      );
    }
  }
  const client = dynamoClient(endpoint ?? embedded?.endpoint);
  const store = new Store(client, tableName, systemClock);
  await store.ensureTable();
  return {
    store,
    where: endpoint ?? `embedded DynamoDB (dynalite) in ${join(dataDir(), 'dynamo')}`,
    close: async () => {
      client.destroy();
      await embedded?.close();
    },
  };
}
