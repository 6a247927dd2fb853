import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  type AttributeValue,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Clock } from '../domain/clock';
import { TABLE, createTableInput } from './table';

/** The abort signal of the scoped store (Store.withAbortSignal) whose request is being sent. */
const requestSignal = new AsyncLocalStorage<AbortSignal>();

interface HttpHandle {
  handle(request: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}
const scopedClients = new WeakSet<DynamoDBClient>();

/**
 * Requests sent in a scoped store's requestSignal carry its abort signal to the client's HTTP
 * handler. Given to `send` itself, a signal would make the client resolve the command's middleware
 * again and drop its cache (cacheMiddleware serves only sends without options). The handler
 * cancels an aborted request on its socket and refuses one sent after the abort (a retry included:
 * an abort is not retried), as with the signal given to `send`.
 */
function abortFromScope(client: DynamoDBClient): void {
  if (scopedClients.has(client)) return;
  scopedClients.add(client);
  // The resolved config's handler type is a union of smithy's; only `handle` is used here.
  const http = client.config.requestHandler as unknown as HttpHandle;
  const handle = http.handle.bind(http);
  http.handle = (request, options) => {
    const signal = requestSignal.getStore();
    return handle(request, signal ? { ...options, abortSignal: signal } : options);
  };
}

/** Every stored item has these keys; the rest is the item's own data. */
export interface Keyed {
  pk: string;
  sk: string;
  /** Epoch seconds after which the item is gone (DynamoDB TTL; also filtered on read). */
  expiresAt?: number;
  gsi1pk?: string;
  gsi1sk?: string;
}

export type Item = Keyed & Record<string, unknown>;

export interface QueryOptions {
  /** sk begins_with */
  prefix?: string;
  /** sk between from and to (inclusive) */
  from?: string;
  to?: string;
  limit?: number;
  /** newest (largest sk) first */
  descending?: boolean;
  /** query the sparse gsi1 instead (pk means gsi1pk, sk bounds apply to gsi1sk) */
  index?: 'gsi1';
}

/**
 * The DynamoDB adapter. Same code against dynalite, DynamoDB Local or AWS.
 * No transactions (dynalite has none): single-item conditional writes only.
 * TTL'd items are filtered on read because neither dynalite nor DynamoDB (up to ~48 h) deletes them on time.
 */
export class Store {
  /** DynamoDB requests sent through this store; read by the bench and `/status`. */
  requests = 0;

  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly clock: Clock,
  ) {
    abortFromScope(client);
    addClientMiddleware(client, (stack) =>
      stack.add(
        (next) => async (args) => {
          this.requests++;
          return next(args);
        },
        { step: 'initialize', name: 'goxwatchRequestCounter', override: true },
      ),
    );
  }

  /** The same for a store and its scoped copies: the key of per-table caches (price-repo). */
  readonly identity: object = this;

  /** A scoped copy's (withAbortSignal) signal; its requests carry it to the HTTP handler. */
  private signal: AbortSignal | undefined;

  /**
   * This store, whose item requests are cancelled when `signal` aborts: the interactions endpoint
   * stops a command that missed its budget instead of leaving it running after it answered. Same
   * client, table and request counter.
   */
  withAbortSignal(signal: AbortSignal): Store {
    const scoped = Object.create(this) as Store;
    scoped.signal = signal;
    return scoped;
  }

  /** A send under this store's abort signal, when it has one (see abortFromScope). */
  private inScope<T>(send: () => Promise<T>): Promise<T> {
    return this.signal ? requestSignal.run(this.signal, send) : send();
  }

  private isLive(item: Record<string, unknown>): boolean {
    const exp = item[TABLE.ttlAttribute];
    return typeof exp !== 'number' || exp * 1000 > this.clock.now();
  }

  async get<T extends Item>(pk: string, sk: string): Promise<T | undefined> {
    const out = await this.inScope(() =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: marshall({ pk, sk }), ConsistentRead: true }),
      ),
    );
    if (!out.Item) return undefined;
    const item = unmarshall(out.Item);
    return this.isLive(item) ? (item as T) : undefined;
  }

  /**
   * Put an item. With `ifAbsent`, succeeds only when no live item has that key (an expired
   * one counts as absent). Returns false when the condition failed.
   */
  async put(item: Item, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const input = {
      TableName: this.tableName,
      Item: marshall(item, { removeUndefinedValues: true }),
      ...(opts.ifAbsent
        ? {
            ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
            ExpressionAttributeNames: { '#exp': TABLE.ttlAttribute },
            ExpressionAttributeValues: marshall({ ':now': Math.floor(this.clock.now() / 1000) }),
          }
        : {}),
    };
    try {
      await this.inScope(() => this.client.send(new PutItemCommand(input)));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /**
   * Put several items unconditionally, 25 to a BatchWriteItem request (DynamoDB's limit) instead
   * of one request each. Items DynamoDB leaves unprocessed (throttling) are sent again, a few
   * times with a short pause; still unprocessed after that is an error. Keys must be distinct.
   */
  async putAll(items: Item[]): Promise<void> {
    for (let at = 0; at < items.length; at += 25) {
      let requests = items
        .slice(at, at + 25)
        .map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } }));
      for (let attempt = 0; requests.length; attempt++) {
        if (attempt === 4) throw new Error(`${requests.length} item(s) left unprocessed by BatchWriteItem`);
        if (attempt) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.inScope(() =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        requests = (out.UnprocessedItems?.[this.tableName] ?? []).flatMap((r) =>
          r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : [],
        );
      }
    }
  }

  /**
   * Set (and remove) attributes of one item, optionally only when `expected` attributes
   * currently hold the given values (null = attribute must be absent). Returns false when
   * the condition failed. Creates the item when it does not exist and no condition says otherwise.
   */
  async update(
    pk: string,
    sk: string,
    set: Record<string, unknown>,
    opts: {
      remove?: string[];
      expected?: Record<string, unknown>;
      /** Conditions "attribute absent or below this number" (an expired lease). */
      absentOrBelow?: Record<string, number>;
    } = {},
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const setParts: string[] = [];
    let i = 0;
    for (const [k, v] of Object.entries(set)) {
      if (v === undefined) continue;
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      setParts.push(`#s${i} = :s${i}`);
      i++;
    }
    const removeParts = (opts.remove ?? []).map((k, j) => {
      names[`#r${j}`] = k;
      return `#r${j}`;
    });
    const conditions = Object.entries(opts.expected ?? {}).map(([k, v], j) => {
      names[`#c${j}`] = k;
      if (v === null) return `attribute_not_exists(#c${j})`;
      values[`:c${j}`] = v;
      return `#c${j} = :c${j}`;
    });
    Object.entries(opts.absentOrBelow ?? {}).forEach(([k, v], j) => {
      names[`#b${j}`] = k;
      values[`:b${j}`] = v;
      conditions.push(`(attribute_not_exists(#b${j}) OR #b${j} < :b${j})`);
    });
    const expression = [
      setParts.length ? `SET ${setParts.join(', ')}` : '',
      removeParts.length ? `REMOVE ${removeParts.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      await this.inScope(() =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: marshall({ pk, sk }),
            UpdateExpression: expression,
            ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
            ExpressionAttributeValues: Object.keys(values).length
              ? marshall(values, { removeUndefinedValues: true })
              : undefined,
            ConditionExpression: conditions.length ? conditions.join(' AND ') : undefined,
          }),
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /**
   * Atomically add `by` to a numeric attribute (created at 0), keeping the item `expiresAt`;
   * returns the new value. One request however many processes count at once.
   */
  async increment(
    pk: string,
    sk: string,
    attribute: string,
    by: number,
    expiresAt?: number,
  ): Promise<number> {
    const out = await this.inScope(() =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk, sk }),
          UpdateExpression: `ADD #n :by${expiresAt !== undefined ? ' SET #exp = :exp' : ''}`,
          ExpressionAttributeNames: {
            '#n': attribute,
            ...(expiresAt !== undefined ? { '#exp': TABLE.ttlAttribute } : {}),
          },
          ExpressionAttributeValues: marshall({
            ':by': by,
            ...(expiresAt !== undefined ? { ':exp': expiresAt } : {}),
          }),
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    const value = out.Attributes ? unmarshall(out.Attributes)[attribute] : undefined;
    return typeof value === 'number' ? value : by;
  }

  async delete(pk: string, sk: string): Promise<void> {
    await this.inScope(() =>
      this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshall({ pk, sk }) })),
    );
  }

  /** Query one partition (or gsi1 partition), following pagination, expired items left out. */
  async query<T extends Item>(pk: string, opts: QueryOptions = {}): Promise<T[]> {
    const pkName = opts.index ? TABLE.gsi1.partitionKey : TABLE.partitionKey;
    const skName = opts.index ? TABLE.gsi1.sortKey : TABLE.sortKey;
    const names: Record<string, string> = { '#pk': pkName };
    const values: Record<string, unknown> = { ':pk': pk };
    let keyCondition = '#pk = :pk';
    if (opts.prefix !== undefined) {
      names['#sk'] = skName;
      values[':prefix'] = opts.prefix;
      keyCondition += ' AND begins_with(#sk, :prefix)';
    } else if (opts.from !== undefined || opts.to !== undefined) {
      names['#sk'] = skName;
      values[':from'] = opts.from ?? '';
      values[':to'] = opts.to ?? '\uffff';
      keyCondition += ' AND #sk BETWEEN :from AND :to';
    }
    const items: T[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: opts.index ? TABLE.gsi1.name : undefined,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
        ScanIndexForward: !opts.descending,
        ExclusiveStartKey: startKey,
        Limit: opts.limit ? Math.max(opts.limit - items.length, 1) : undefined,
      };
      const out = await this.inScope(() => this.client.send(new QueryCommand(input)));
      for (const raw of out.Items ?? []) {
        const item = unmarshall(raw);
        if (this.isLive(item)) items.push(item as T);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && (!opts.limit || items.length < opts.limit));
    return opts.limit ? items.slice(0, opts.limit) : items;
  }

  /** Create the table when missing (local runner, tests). In AWS the CDK stack owns it. */
  async ensureTable(): Promise<void> {
    try {
      await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return;
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    try {
      await this.client.send(new CreateTableCommand(createTableInput(this.tableName)));
    } catch (err) {
      // Another process created it first.
      if (!(err instanceof Error && err.name === 'ResourceInUseException')) throw err;
    }
    for (let i = 0; i < 100; i++) {
      const out = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      if (out.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`table ${this.tableName} did not become ACTIVE`);
  }
}

/** Epoch seconds `days` after `nowMs`: the TTL value for an item kept that long. */
export function ttlAfter(nowMs: number, days: number): number {
  return Math.floor(nowMs / 1000) + Math.round(days * 86_400);
}

/**
 * A DynamoDB client for an endpoint (dynalite/local) or for AWS (endpoint undefined).
 * `cacheMiddleware`: each command's middleware chain is resolved once, not on every request (about
 * a third of the client's own time per small request); see addClientMiddleware for adding one later.
 */
export function dynamoClient(endpoint?: string): DynamoDBClient {
  if (!endpoint) return new DynamoDBClient({ cacheMiddleware: true });
  return new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    // Local endpoints accept any credentials; fixed dummies keep the SDK from searching for real ones.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    cacheMiddleware: true,
  });
}

/**
 * Add middleware to a client that may have sent requests already. With cacheMiddleware the client
 * keeps each command's resolved chain, so middleware added after a command's first request would
 * never run for it: the cache is dropped. smithy's Client keeps it in `handlers` and drops it the
 * same way itself (destroy(), and any send with options); store.test.ts fails if that changes.
 */
export function addClientMiddleware(
  client: DynamoDBClient,
  add: (stack: DynamoDBClient['middlewareStack']) => void,
): void {
  add(client.middlewareStack);
  delete (client as unknown as { handlers?: unknown }).handlers;
}
