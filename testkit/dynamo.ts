import { startEmbeddedDynamo, type EmbeddedDynamo } from '../local/embedded-dynamo';
import { Store, dynamoClient } from '../lambdas/store/store';
import type { Clock } from '../lambdas/domain/clock';

export interface TestStore {
  store: Store;
  dynamo: EmbeddedDynamo;
  close(): Promise<void>;
}

/** A fresh dynalite (in memory unless a data folder is given) with the table created. */
export async function startTestStore(
  clock: Clock,
  dataDir?: string,
  tableName = 'goxwatch-test',
): Promise<TestStore> {
  const dynamo = await startEmbeddedDynamo(dataDir);
  const client = dynamoClient(dynamo.endpoint);
  const store = new Store(client, tableName, clock);
  await store.ensureTable();
  return {
    store,
    dynamo,
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
