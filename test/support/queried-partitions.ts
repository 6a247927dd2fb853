import type { Store } from '../../lambdas/store/store';

/** The partition of every Query the store sends from now on, in order (a test's view of its reads). */
export function recordQueriedPartitions(store: Store): string[] {
  const queried: string[] = [];
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const pk = (args.input as { ExpressionAttributeValues?: { ':pk'?: { S?: string } } })
        .ExpressionAttributeValues?.[':pk']?.S;
      if (context.commandName === 'QueryCommand' && pk) queried.push(pk);
      return next(args);
    },
    { step: 'initialize', name: 'recordQueriedPartitions', override: true },
  );
  return queried;
}
