import { loadConfig } from '../lambdas/app/config-file';
import { blindSpots, watchSummary } from '../lambdas/domain/config-summary';
import { UsageError } from './usage-error';

/** `config print` / `config check [file]`: schema-level only, no store, no network. */
export function configCommand(positionals: string[], configFlag: string | undefined): number {
  const [sub, file, ...extra] = positionals;
  if ((sub !== 'print' && sub !== 'check') || extra.length || (sub === 'print' && file))
    throw new UsageError('usage: goxwatch config print | goxwatch config check [file]');
  const path = file ?? configFlag;
  const { config, origin } = loadConfig(path ? { file: path } : {});
  if (sub === 'print') {
    console.log(JSON.stringify(config, null, 2));
    return 0;
  }
  console.log(`${origin}: valid`);
  for (const line of watchSummary(config)) console.log(line);
  const spots = blindSpots({ config });
  if (spots.length)
    console.log(`what nobody will see (from the config alone; /status also counts the store):`);
  for (const line of spots) console.log(`  ${line.en}`);
  return 0;
}
