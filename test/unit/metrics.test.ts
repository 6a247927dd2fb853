import { countingErrors, emfLine, METRICS_NAMESPACE } from '../../lambdas/app/metrics';

describe('EMF metric lines', () => {
  const at = Date.parse('2018-01-26T03:09:00Z');

  it('one line is a bare JSON object declaring each value under namespace goxwatch with no dimension; the job is a property', () => {
    const line = emfLine('price', { JobsFailing: 0, PriceAgeSeconds: 42 }, at);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [[]],
            Metrics: [
              { Name: 'JobsFailing', Unit: 'Count' },
              { Name: 'PriceAgeSeconds', Unit: 'Seconds' },
            ],
          },
        ],
      },
      Job: 'price',
      JobsFailing: 0,
      PriceAgeSeconds: 42,
    });
  });

  it('the detail (which job, the error, the interaction id) rides in the same line', () => {
    const doc = JSON.parse(emfLine('worker', { DeferredRepliesExpired: 1 }, at, 'interaction 123')) as Record<
      string,
      unknown
    >;
    expect(doc).toMatchObject({ Job: 'worker', Detail: 'interaction 123', DeferredRepliesExpired: 1 });
  });

  it('a NaN or infinite value is left out instead of making CloudWatch reject the whole line', () => {
    const doc = JSON.parse(
      emfLine('delivery', { OutboxPending: Number.NaN, JobsFailing: 1, PriceAgeSeconds: Infinity }, at),
    ) as {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    } & Record<string, unknown>;
    expect(doc._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['JobsFailing']);
    expect(doc).not.toHaveProperty('OutboxPending');
    expect(doc).not.toHaveProperty('PriceAgeSeconds');
  });
});

describe('handlers count their own errors (HandlerErrors)', () => {
  let lines: Record<string, unknown>[];
  let onLine: (() => void) | undefined;
  let write: jest.SpyInstance;
  beforeEach(() => {
    lines = [];
    onLine = undefined;
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      onLine?.();
      return true;
    });
  });
  afterEach(() => write.mockRestore());

  const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

  it('a handler that throws writes one HandlerErrors line naming the error, and still throws', async () => {
    const handler = countingErrors('news', async () => {
      throw new Error('every due feed failed');
    });
    await expect(handler({}, context(60_000))).rejects.toThrow('every due feed failed');
    expect(lines).toEqual([
      expect.objectContaining({ Job: 'news', HandlerErrors: 1, Detail: 'Error: every due feed failed' }),
    ]);
  });

  it('a handler that returns writes nothing and leaves no timer behind', async () => {
    const handler = countingErrors('price', async () => ({ summary: 'ok' }));
    await expect(handler({}, context(60_000))).resolves.toEqual({ summary: 'ok' });
    expect(lines).toEqual([]);
  });

  it('a handler still running a second before its timeout is counted before Lambda ends it', async () => {
    const said = new Promise<void>((resolve) => (onLine = resolve));
    // 1 s before the timeout is now: the notice comes while the handler waits.
    const handler = countingErrors('delivery', async () => {
      await said;
      return 'finished late';
    });
    await expect(handler({}, context(1_000))).resolves.toBe('finished late');
    expect(lines).toEqual([
      expect.objectContaining({
        Job: 'delivery',
        HandlerErrors: 1,
        Detail: expect.stringContaining('before the timeout'),
      }),
    ]);
  });
});
