import * as real from 'discord-api-types/v10';
import * as ours from '../../lambdas/discord/api-values';

describe('Discord API values kept out of discord-api-types at run time (lambdas/discord/api-values.ts)', () => {
  it('every value equals the one discord-api-types defines under the same name', () => {
    const enums = ours as unknown as Record<string, Record<string, number | bigint>>;
    const theirs = real as unknown as Record<string, Record<string, number | bigint> | undefined>;
    const names = Object.keys(enums);
    expect(names.length).toBeGreaterThanOrEqual(7);
    for (const name of names)
      for (const [member, value] of Object.entries(enums[name] ?? {}))
        expect([`${name}.${member}`, value]).toEqual([`${name}.${member}`, theirs[name]?.[member]]);
  });
});
