import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';

/** The embedded DynamoDB: dynalite in-process, on disk when a data folder is given, else in memory. */
export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

interface DynaliteServer {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo | string | null;
  close(cb: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}

export async function startEmbeddedDynamo(dataDir?: string): Promise<EmbeddedDynamo> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => DynaliteServer;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const server = dynalite({
    ...(dataDir ? { path: dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
