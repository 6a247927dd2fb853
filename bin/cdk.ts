#!/usr/bin/env node
// The CDK app (cdk.json: `npx tsx bin/cdk.ts`). Context: -c config=path.json, -c stackName=...,
// -c alarmEmail=..., -c discordApplicationId=..., -c discordApiBase=..., -c tableRemoval=destroy.
import { buildApp } from '../lib/app';

buildApp().app.synth();
