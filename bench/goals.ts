import type { CostProjection } from './cost';
import type { CommandLatency } from './interactions';

/**
 * Issue 15's goals, each as a bench row with its target beside the measured figure, so a
 * regression shows at a glance: cost after the free tiers, the interactions bundle's size and
 * cold load, every command's p99, the replay's time and memory. The hook in bench/run.ts passes
 * what it measured; this file only judges.
 */
export const GOALS = {
  /** USD per month after AWS's always-free tiers, 1 guild at the default schedules. */
  monthlyUsdAfterFreeTiers: 1.0,
  interactionsBundleBytes: 300 * 1024,
  /** require() of the bundle, node's own start excluded. */
  interactionsColdLoadMs: 50,
  commandP99Ms: 20,
  replaySeconds: 60,
  replayPeakRssMb: 400,
} as const;

export interface GoalInputs {
  cost: CostProjection;
  /** `split`: the runtime SDK's own require (the floor) and ours with it loaded (ADR 0015). */
  interactionsBundle?: { bytes: number; coldLoadMs: number; split?: { sdkMs: number; oursMs: number } };
  commands: CommandLatency[];
  replay?: { seconds: number; peakRssMb: number; steps: number };
}

type Row = [benchmark: string, measured: string, result: string];

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT MET');

/** One row per goal; `missed` lists the goals not met (reported, not fatal: they are targets). */
export function goalRows(input: GoalInputs): { rows: Row[]; missed: string[] } {
  const rows: Row[] = [];
  const missed: string[] = [];
  const add = (what: string, measured: string, target: string, ok: boolean) => {
    rows.push(['Goal (issue 15)', what, `${measured} (target ${target}): ${verdict(ok)}`]);
    if (!ok) missed.push(`${what}: ${measured}, target ${target}`);
  };
  const usd = input.cost.freeUsd;
  add(
    `cost after free tiers, ${input.cost.scenario}`,
    `$${usd.toFixed(2)}/month`,
    `≤ $${GOALS.monthlyUsdAfterFreeTiers.toFixed(2)}`,
    usd <= GOALS.monthlyUsdAfterFreeTiers,
  );
  const bundle = input.interactionsBundle;
  if (bundle) {
    add(
      'interactions bundle size',
      `${(bundle.bytes / 1024).toFixed(0)} KB`,
      `≤ ${GOALS.interactionsBundleBytes / 1024} KB`,
      bundle.bytes <= GOALS.interactionsBundleBytes,
    );
    add(
      'interactions bundle cold load',
      `${bundle.coldLoadMs.toFixed(1)} ms above node's start` +
        (bundle.split
          ? ` (runtime SDK ${bundle.split.sdkMs.toFixed(1)} ms, the floor; ours ${bundle.split.oursMs.toFixed(1)} ms)`
          : ''),
      `≤ ${GOALS.interactionsColdLoadMs} ms`,
      bundle.coldLoadMs <= GOALS.interactionsColdLoadMs,
    );
    // The part our code controls, on its own row: a regression in it would hide in the SDK's noise.
    if (bundle.split)
      add(
        'interactions bundle cold load, ours (SDK preloaded)',
        `${bundle.split.oursMs.toFixed(1)} ms`,
        `≤ ${GOALS.interactionsColdLoadMs} ms`,
        bundle.split.oursMs <= GOALS.interactionsColdLoadMs,
      );
  }
  const endpoint = input.commands.filter((c) => c.stage === 'endpoint');
  const slowest = [...endpoint].sort((a, b) => b.p99Ms - a.p99Ms)[0];
  if (slowest)
    add(
      'every command p99 (slowest shown)',
      `${slowest.command} ${slowest.p99Ms.toFixed(1)} ms`,
      `≤ ${GOALS.commandP99Ms} ms`,
      slowest.p99Ms <= GOALS.commandP99Ms,
    );
  const replay = input.replay;
  if (replay) {
    add(
      'replay, default range, time',
      `${replay.seconds.toFixed(0)} s (${replay.steps.toLocaleString('en-US')} steps)`,
      `≤ ${GOALS.replaySeconds} s`,
      replay.seconds <= GOALS.replaySeconds,
    );
    add(
      'replay, default range, peak RSS',
      `${replay.peakRssMb.toFixed(0)} MB`,
      `≤ ${GOALS.replayPeakRssMb} MB`,
      replay.peakRssMb <= GOALS.replayPeakRssMb,
    );
  }
  return { rows, missed };
}
