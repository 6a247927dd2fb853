import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../lambdas/app/config-file';
import { publicKeyProblem } from '../lambdas/discord/interactions-verify';
import { GoxwatchStack } from './goxwatch-stack';

/** CDK context keys (`npx cdk deploy -c key=value`), all optional. */
export interface AppContext {
  /** Path to a config JSON file (validated with parseConfig); unset = DEFAULT_CONFIG. */
  config?: string;
  stackName?: string;
  alarmEmail?: string;
  discordApplicationId?: string;
  /** The application's public key, 64 hex digits (not a secret; ADR 0020). */
  discordPublicKey?: string;
  discordApiBase?: string;
  /** "destroy" deletes the table with the stack; anything else (default) retains it. */
  tableRemoval?: string;
  /** "false" leaves the CloudWatch dashboard out ($3/month list price; the alarms stay). */
  dashboard?: string;
}

export const DEFAULT_STACK_NAME = 'Goxwatch';

/**
 * The CDK app: the goxwatch stack plus cdk-nag's AwsSolutions pack as a policy-validation plugin,
 * so `cdk synth` fails on any unacknowledged finding. Used by bin/cdk.ts and the infra tests.
 */
export function buildApp(opts: { outdir?: string; context?: AppContext & Record<string, unknown> } = {}): {
  app: App;
  stack: GoxwatchStack;
} {
  const app = new App({
    ...(opts.outdir ? { outdir: opts.outdir } : {}),
    context: { ...opts.context },
  });
  const ctx = (key: keyof AppContext): string | undefined => {
    const v: unknown = app.node.tryGetContext(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  // Only the explicit -c config=path: a GOXWATCH_CONFIG set for local runs must not leak into a deploy.
  const configPath = ctx('config');
  const { config } = loadConfig({ ...(configPath ? { file: configPath } : {}), env: {} });
  const alarmEmail = ctx('alarmEmail');
  const discordApplicationId = ctx('discordApplicationId');
  const discordApiBase = ctx('discordApiBase');
  const discordPublicKey = ctx('discordPublicKey');
  const keyProblem = discordPublicKey && publicKeyProblem(discordPublicKey);
  // Before the stack is built (and every bundle with it): a wrong key would refuse every request.
  if (keyProblem)
    throw new Error(`-c discordPublicKey: ${keyProblem} (developer portal, General Information)`);
  const stack = new GoxwatchStack(app, ctx('stackName') ?? DEFAULT_STACK_NAME, {
    description: 'goxwatch: Discord bot watching XEM prices, incident news and refund status',
    config,
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(discordApplicationId ? { discordApplicationId } : {}),
    ...(discordApiBase ? { discordApiBase } : {}),
    ...(discordPublicKey ? { discordPublicKey } : {}),
    tableRemovalPolicy: ctx('tableRemoval') === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    dashboard: ctx('dashboard') !== 'false',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
