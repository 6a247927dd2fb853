import { addClientMiddleware, type Store } from '../../lambdas/store/store';

interface Sent {
  /** The command without "Command": Query, GetItem, UpdateItem, BatchWriteItem … */
  command: string;
  /** The partitions it reads or writes (a batch: one per item). */
  pks: string[];
}

type PkValue = { pk?: { S?: string } } | undefined;
interface KeyedInput {
  ExpressionAttributeValues?: { ':pk'?: { S?: string } };
  Key?: PkValue;
  Item?: PkValue;
  RequestItems?: Record<string, { PutRequest?: { Item?: PkValue }; DeleteRequest?: { Key?: PkValue } }[]>;
}

/** Every request the store sends from now on, in order, with its partitions (a test's view of its I/O). */
export function recordRequests(store: Store): Sent[] {
  const sent: Sent[] = [];
  addClientMiddleware(store.client, (stack) =>
    stack.add(
      (next, context) => async (args) => {
        const input = args.input as KeyedInput;
        const pks = [
          input.Key?.pk?.S ?? input.Item?.pk?.S ?? input.ExpressionAttributeValues?.[':pk']?.S,
          ...Object.values(input.RequestItems ?? {})
            .flat()
            .map((r) => r.PutRequest?.Item?.pk?.S ?? r.DeleteRequest?.Key?.pk?.S),
        ].filter((pk): pk is string => pk !== undefined);
        sent.push({ command: (context.commandName ?? '').replace(/Command$/, ''), pks });
        return next(args);
      },
      { step: 'initialize', name: 'recordRequests', override: true },
    ),
  );
  return sent;
}

/** How many of the recorded requests are queries of this partition. */
export function queriesOf(sent: Sent[], pk: string): number {
  return sent.filter((s) => s.command === 'Query' && s.pks.includes(pk)).length;
}
