import { deployedConfig } from '../../lambdas/app/deployed-config';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';

describe('the config inside a Lambda (GOXWATCH_CONFIG_JSON, validated at synth)', () => {
  it('reads back the config the stack wrote, as is', () => {
    expect(deployedConfig({ GOXWATCH_CONFIG_JSON: JSON.stringify(DEFAULT_CONFIG) })).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    [{}, 'GOXWATCH_CONFIG_JSON is not set'],
    [{ GOXWATCH_CONFIG_JSON: '{"sources":' }, 'GOXWATCH_CONFIG_JSON: not valid JSON'],
    [{ GOXWATCH_CONFIG_JSON: '{"sources":[]}' }, 'not a config written by the stack (no language, channels'],
    [{ GOXWATCH_CONFIG_JSON: '"text"' }, 'not a config written by the stack'],
  ])('%j is refused, saying what to do', (env, why) => {
    expect(() => deployedConfig(env)).toThrow(why);
    expect(() => deployedConfig(env)).toThrow('redeploy with cdk deploy');
  });
});
