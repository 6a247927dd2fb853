import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { addClientMiddleware } from '../lambdas/store/store';

/** DynamoDB on-demand request units consumed through one client, as DynamoDB would bill them. */
export interface CapacityMeter {
  /** Read request units (1 per 4 KB strongly consistent, 0.5 eventually consistent). */
  rru: number;
  /** Write request units (1 per 1 KB), index writes included. */
  wru: number;
}

const READS = new Set(['GetItemCommand', 'QueryCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

interface MeteredInput {
  ReturnConsumedCapacity?: string;
  ConsistentRead?: boolean;
  Item?: Record<string, unknown>;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

/**
 * Ask for ConsumedCapacity on every item request of `client` and add it up. dynalite computes it
 * with DynamoDB's rules (size rounded up to 4 KB reads / 1 KB writes, half for eventually
 * consistent reads); what it leaves out is added here: the minimum charge of a read that returns
 * nothing (a Query of an empty range), a write refused by its condition (still 1 WRU), and the
 * gsi1 index write when an item enters the sparse index (pending outbox entries) or leaves it.
 */
export function meterCapacity(client: DynamoDBClient): CapacityMeter {
  const meter: CapacityMeter = { rru: 0, wru: 0 };
  addClientMiddleware(client, (stack) =>
    stack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const isRead = READS.has(command);
        if (!isRead && !WRITES.has(command)) return next(args);
        const input = args.input as MeteredInput;
        input.ReturnConsumedCapacity = 'TOTAL';
        const minimum = isRead ? (input.ConsistentRead ? 1 : 0.5) : 1;
        let units = minimum;
        try {
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } })
            .ConsumedCapacity?.CapacityUnits;
          units = Math.max(consumed ?? minimum, minimum);
          return result;
        } finally {
          if (isRead) meter.rru += units;
          else meter.wru += units + indexWrites(input, units);
        }
      },
      { step: 'initialize', name: 'benchCapacityMeter', override: true },
    ),
  );
  return meter;
}

/** gsi1 projects ALL: an item put with gsi1 keys is written twice; removing them deletes the index copy. */
function indexWrites(input: MeteredInput, units: number): number {
  if (input.Item && 'gsi1pk' in input.Item) return units;
  const names = Object.values(input.ExpressionAttributeNames ?? {});
  if (input.UpdateExpression?.includes('REMOVE') && names.includes('gsi1pk')) return 1;
  return 0;
}
