import { emfLine, METRICS_NAMESPACE } from '../../lambdas/app/metrics';

describe('EMF metric lines', () => {
  const at = Date.parse('2018-01-26T03:09:00Z');

  it('one line is a bare JSON object declaring each value under namespace goxwatch with the Job dimension', () => {
    const line = emfLine('price', { JobFailures: 0, PriceAgeSeconds: 42 }, at);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [['Job']],
            Metrics: [
              { Name: 'JobFailures', Unit: 'Count' },
              { Name: 'PriceAgeSeconds', Unit: 'Seconds' },
            ],
          },
        ],
      },
      Job: 'price',
      JobFailures: 0,
      PriceAgeSeconds: 42,
    });
  });

  it('a NaN or infinite value is left out instead of making CloudWatch reject the whole line', () => {
    const doc = JSON.parse(
      emfLine('delivery', { OutboxPending: Number.NaN, JobFailures: 1, PriceAgeSeconds: Infinity }, at),
    ) as {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    } & Record<string, unknown>;
    expect(doc._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['JobFailures']);
    expect(doc).not.toHaveProperty('OutboxPending');
    expect(doc).not.toHaveProperty('PriceAgeSeconds');
  });
});
