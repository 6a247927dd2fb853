import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import {
  COMMAND,
  COMMAND_DEFINITIONS,
  PRICE_RANGES,
  REQUIRED_PERMISSION,
  SUB,
} from '../../lambdas/discord/command-definitions';
import { readDiscordFixture } from '../support/interactions';

type Json = Record<string, unknown>;
const NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** Discord's documented limits for a chat-input command; returns every problem with its path. */
function problems(command: Json, path = command.name as string): string[] {
  const out: string[] = [];
  const checkText = (where: string, node: Json) => {
    const names = [node.name, ...Object.values((node.name_localizations as Json | undefined) ?? {})];
    for (const n of names)
      if (typeof n !== 'string' || !NAME.test(n) || n !== n.toLowerCase())
        out.push(`${where}: bad name "${String(n)}"`);
    const descriptions = [
      node.description,
      ...Object.values((node.description_localizations as Json | undefined) ?? {}),
    ];
    for (const d of descriptions) {
      const len = typeof d === 'string' ? Array.from(d).length : 0;
      if (len < 1 || len > 100) out.push(`${where}: description length ${len}`);
    }
  };
  const walk = (where: string, node: Json) => {
    checkText(where, node);
    const options = (node.options as Json[] | undefined) ?? [];
    if (options.length > 25) out.push(`${where}: more than 25 options`);
    const seen = new Set<unknown>();
    let optionalSeen = false;
    for (const o of options) {
      if (seen.has(o.name)) out.push(`${where}: duplicate option ${String(o.name)}`);
      seen.add(o.name);
      const nested =
        o.type === ApplicationCommandOptionType.Subcommand ||
        o.type === ApplicationCommandOptionType.SubcommandGroup;
      if (!nested) {
        if (o.required && optionalSeen) out.push(`${where}.${String(o.name)}: required after optional`);
        if (!o.required) optionalSeen = true;
      }
      const choices = (o.choices as Json[] | undefined) ?? [];
      if (choices.length > 25) out.push(`${where}.${String(o.name)}: more than 25 choices`);
      walk(`${where}.${String(o.name)}`, o);
    }
  };
  walk(path, command);
  return out;
}

describe('command definitions', () => {
  it("the limits check accepts Discord's own documented example and catches a broken copy", () => {
    const example = JSON.parse(readDiscordFixture('api-docs/slash-command-definition.example.json')) as Json;
    expect(problems(example)).toEqual([]);
    const broken = { ...example, name: 'Blep Command', description: 'x'.repeat(101) };
    expect(problems(broken)).toEqual([
      'Blep Command: bad name "Blep Command"',
      'Blep Command: description length 101',
    ]);
  });

  it.each(COMMAND_DEFINITIONS.map((c) => [c.name, c] as const))(
    '/%s is within Discord limits',
    (_name, command) => {
      expect(problems(command as unknown as Json)).toEqual([]);
    },
  );

  it('every command and option has a Japanese localization', () => {
    const missing: string[] = [];
    const walk = (where: string, node: Json) => {
      if (!(node.name_localizations as Json | undefined)?.ja) missing.push(`${where} name`);
      if (!(node.description_localizations as Json | undefined)?.ja) missing.push(`${where} description`);
      for (const o of (node.options as Json[] | undefined) ?? []) walk(`${where}.${String(o.name)}`, o);
    };
    for (const c of COMMAND_DEFINITIONS) walk(c.name, c as unknown as Json);
    expect(missing).toEqual([]);
  });

  it('the handler and the register script agree on names; /alerts needs Manage Channels by default', () => {
    expect(COMMAND_DEFINITIONS.map((c) => c.name).sort()).toEqual(Object.values(COMMAND).sort());
    const alerts = COMMAND_DEFINITIONS.find((c) => c.name === COMMAND.alerts);
    expect(alerts?.default_member_permissions).toBe(String(REQUIRED_PERMISSION.alerts));
    const refundSubs = COMMAND_DEFINITIONS.find((c) => c.name === COMMAND.refund)?.options?.map(
      (o) => o.name,
    );
    expect(refundSubs).toEqual([SUB.refundShow, SUB.refundCalc, SUB.refundSetStage, SUB.refundSetTerms]);
    const range = COMMAND_DEFINITIONS.find((c) => c.name === COMMAND.price)?.options?.find(
      (o) => o.name === 'range',
    );
    expect(range && 'choices' in range ? range.choices?.map((c) => c.value) : []).toEqual([...PRICE_RANGES]);
  });
});
