/**
 * The one DynamoDB table, defined once: the CDK stack (lib/) and the local runner both read this.
 * Single-table keys: pk/sk strings; a sparse GSI "gsi1" (gsi1pk/gsi1sk) for work queues such as
 * pending outbox items; TTL attribute "expiresAt" (epoch seconds).
 */
export const TABLE = {
  defaultName: 'goxwatch',
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
} as const;

/** CreateTable input for the local runner (dynalite or any endpoint). CDK builds the same shape. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: TABLE.partitionKey, AttributeType: 'S' as const },
      { AttributeName: TABLE.sortKey, AttributeType: 'S' as const },
      { AttributeName: TABLE.gsi1.partitionKey, AttributeType: 'S' as const },
      { AttributeName: TABLE.gsi1.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: TABLE.gsi1.name,
        KeySchema: [
          { AttributeName: TABLE.gsi1.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: TABLE.gsi1.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}
