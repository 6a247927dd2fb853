import type { AddressInfo } from 'node:net';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** The embedded DynamoDB: dynalite in-process, on disk when a data folder is given, else in memory. */
export interface EmbeddedDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** The data folder cannot be used; the message names it and says what to do (the CLI exits 2). */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

interface DynaliteServer {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo | string | null;
  close(cb: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmbeddedDynamo(dataDir?: string): Promise<EmbeddedDynamo> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => DynaliteServer;
  closeIteratorsOnReturn();
  if (dataDir) await probeDataDir(dataDir);
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

/**
 * dynalite 4.0.0 reads every Query and Scan through a LevelDB iterator wrapped in a stream whose
 * destroy calls `iterator.return()` "if it exists", and abstract-level's iterators have no
 * `return`: no iterator was ever closed. Each stays attached to the db, holding its snapshot (in
 * memory a version of the whole tree, on disk a LevelDB snapshot), so the 3-month replay's live heap grew ~2.3 MB a
 * simulated day (45 → 176 MB) with ~4 MB of data stored. `return` here is `close`, as the
 * async-iterator protocol means it; left alone where abstract-level defines one itself.
 */
function closeIteratorsOnReturn(): void {
  const { AbstractIterator } = dynaliteDependency<{ AbstractIterator: { prototype: object } }>(
    'memory-level',
    'abstract-level',
  );
  // The shared base of the entry, key and value iterators.
  const common = Object.getPrototypeOf(AbstractIterator.prototype) as {
    return?: () => Promise<IteratorResult<never>>;
    close(): Promise<void>;
  };
  if (common.return) return;
  common.return = async function (this: typeof common) {
    await this.close();
    return { done: true, value: undefined };
  };
}

/**
 * A module as dynalite's own copy sees it: each id resolved from the previous one's folder,
 * starting at dynalite ('level'; 'memory-level', 'abstract-level').
 */
export function dynaliteDependency<T>(...chain: string[]): T {
  let dir = dirname(require.resolve('dynalite'));
  let path = '';
  for (const id of chain) {
    path = require.resolve(id, { paths: [dir] });
    dir = dirname(path);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as T;
}

/**
 * Open the folder's LevelDB once before dynalite does: dynalite opens it lazily and throws its
 * failure from a callback ("Error: Database is closed", uncaught), which names no cause. Here each
 * cause gets its own sentence: another process holds the lock, the folder is read-only, or the
 * files are corrupt.
 */
async function probeDataDir(dir: string): Promise<void> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DataDirError(`cannot create the data dir ${dir}: ${(err as Error).message}`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new DataDirError(`the data dir ${dir} is read-only: make it writable or set GOXWATCH_DATA_DIR`);
  }
  // level is dynalite's own dependency: the same copy as dynalite's.
  const { Level } = dynaliteDependency<{ Level: new (path: string) => LevelDb }>('level');
  const db = new Level(dir);
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    if (/lock/i.test(cause) && /temporarily unavailable|already held|resource busy/i.test(cause))
      throw new DataDirError(
        `another goxwatch is using the data dir ${dir} (its store is locked): stop it, or give this one its own GOXWATCH_DATA_DIR`,
      );
    if (/read-only|EROFS|EACCES|permission denied/i.test(cause))
      throw new DataDirError(
        `the data dir ${dir} is read-only (${cause}): make it writable or set GOXWATCH_DATA_DIR`,
      );
    throw new DataDirError(
      `the store in ${dir} cannot be opened (${cause}): it may be corrupt; move the folder aside to start with an empty store`,
    );
  }
  await db.close();
}

/**
 * Watch that the data dir still exists while we run: deleted under a running process, LevelDB keeps
 * writing into unlinked files and the next start finds an empty store. `onGone` is called once.
 */
export function watchDataDir(dir: string, onGone: () => void, everyMs = 2_000): () => void {
  let fired = false;
  const timer = setInterval(() => {
    if (fired || existsSync(`${dir}/CURRENT`)) return;
    fired = true;
    onGone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
