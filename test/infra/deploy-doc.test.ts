import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { DEPLOYMENT } from '../../bench/cost';
import { METRIC_NAMES } from '../../lambdas/app/metrics';
import { synthApp } from '../../testkit/synth';

/**
 * docs/deploy.md lists the alarms and prices them from bench/cost.ts: both drift silently when the
 * stack gains an alarm. The synthesized template is the truth they are held to.
 */

interface AlarmProps {
  Metrics?: { MetricStat?: unknown }[];
}

it('docs/deploy.md names every alarm the stack creates, and the cost counts its alarm metrics', () => {
  const { stack } = synthApp();
  const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  const names = Object.keys(alarms).map((logicalId) => logicalId.replace(/[0-9A-F]{8}$/, ''));
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'deploy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Alarms'), doc.indexOf('\n## ', doc.indexOf('## Alarms') + 1));
  const documented = new Set([...section.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]));
  expect(names.filter((n) => !documented.has(n))).toEqual([]);

  // A metric-math alarm is billed per metric it reads.
  const metrics = Object.values(alarms).reduce((sum, a) => {
    const m = (a.Properties as AlarmProps).Metrics;
    return sum + (m ? m.filter((x) => x.MetricStat).length : 1);
  }, 0);
  expect(DEPLOYMENT.alarmMetrics).toBe(metrics);
  // Every app metric is one custom metric (no dimension: one time series each).
  expect(DEPLOYMENT.customMetrics).toBe(METRIC_NAMES.length);
  expect(doc).toContain(`${names.length} alarms (the table above)`);
  expect(doc).toContain(`= ${metrics} alarm\n  metrics`);
});
