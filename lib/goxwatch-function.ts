import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: entries, package-lock.json and tsconfig.json are resolved from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The newest Node.js runtime aws-cdk-lib 2.276 knows. Pinned explicitly rather than
 * Runtime.NODEJS_LATEST, whose meaning moves with the CDK version (a silent runtime upgrade on a
 * dependency bump). Must stay in step with NODE_TARGET below.
 */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const NODE_TARGET = 'node24';

/**
 * The AWS SDK clients are provided by the Lambda Node.js runtime, so they stay out of the bundle
 * (smaller, faster cold load). Only `client-*`: small helpers such as @aws-sdk/util-dynamodb are
 * bundled, so the bundle depends on nothing but the clients the runtime is documented to carry.
 * The bundle smoke test loads each bundle with only these modules resolvable.
 */
export const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/client-*'];

export interface GoxwatchFunctionProps {
  /** Entry file relative to the project root, e.g. lambdas/handlers/price.ts (exports `handler`). */
  entry: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  environment: Record<string, string>;
  /** Undefined = unreserved (shares the account pool). The pollers use 1: never two runs at once. */
  reservedConcurrentExecutions?: number;
  logRetention?: logs.RetentionDays;
}

/**
 * The house Lambda construct: every goxwatch function is a NodejsFunction with the same fixed
 * defaults (runtime, arm64, local esbuild bundling with minify + source maps, an explicit log group
 * with retention) so the stack only states what differs: entry, timeout, memory, env.
 */
export class GoxwatchFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: GoxwatchFunctionProps) {
    // The log group is created before the function so the function can point at it; the default
    // /aws/lambda/<name> group would be created lazily by Lambda with no retention at all.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of the AWSLambdaBasicExecutionRole managed policy, whose logs actions
    // cover every log group in the account: this one may write to its own group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `goxwatch ${id} function`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: {
        // Source maps make stack traces in CloudWatch point at our .ts lines.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      logGroup,
      loggingFormat: lambda.LoggingFormat.TEXT,
      bundling: {
        // No Docker on the build machines: esbuild from node_modules bundles locally.
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: NODE_TARGET,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Source contents would double the asset size for no runtime use.
        sourcesContent: false,
        externalModules: RUNTIME_PROVIDED_MODULES,
        metafile: false,
      },
    });
  }
}
