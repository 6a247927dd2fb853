import type {
  APIApplicationCommandBasicOption,
  APIApplicationCommandSubcommandOption,
} from 'discord-api-types/v10';
import { ApplicationCommandOptionType } from './api-values';

/** Option builders shared by the command definitions (command-definitions.ts, feeds-definition.ts). */

export function str(
  name: string,
  ja: string,
  description: string,
  descriptionJa: string,
  extra: Partial<APIApplicationCommandBasicOption> = {},
): APIApplicationCommandBasicOption {
  return {
    type: ApplicationCommandOptionType.String,
    name,
    name_localizations: { ja },
    description,
    description_localizations: { ja: descriptionJa },
    required: false,
    ...extra,
  } as APIApplicationCommandBasicOption;
}

export const incidentOption = str(
  'incident',
  '事件',
  'Incident id (default: the first configured)',
  '事件 ID（省略時は最初の事件）',
);

export function sub(
  name: string,
  ja: string,
  description: string,
  descriptionJa: string,
  options: APIApplicationCommandBasicOption[] = [],
): APIApplicationCommandSubcommandOption {
  return {
    type: ApplicationCommandOptionType.Subcommand,
    name,
    name_localizations: { ja },
    description,
    description_localizations: { ja: descriptionJa },
    options,
  };
}
