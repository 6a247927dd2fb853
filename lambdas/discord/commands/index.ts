import { say } from '../../domain/i18n';
import { COMMAND, SUB } from '../command-definitions';
import type { CommandReply } from '../interaction-reply';
import { CommandError, errorReply, type CommandDeps, type ParsedCommand } from './shared';
import { alertsCommand } from './alerts';
import { chainCommand } from './chain';
import { feedsCommand } from './feeds';
import { newsCommand } from './news';
import { priceCommand } from './price';
import { refundCalc, refundSetStage, refundShow } from './refund';
import { refundSetTerms } from './refund-terms';
import { statusCommand } from './status';

export {
  CommandError,
  DEFAULT_GUILD_SUBSCRIPTION_CAP,
  MAX_PRICE_RULES_PER_CHANNEL,
  errorReply,
  isEphemeralCommand,
  isReadOnlyCommand,
  type CommandContainer,
  type CommandDeps,
  type FeedProbe,
  type ParsedCommand,
} from './shared';

/** One file per command; this dispatcher is the only place that knows them all. */
/** Run one parsed command against stored state. CommandError becomes an ephemeral error reply. */
export async function runCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  try {
    switch (cmd.name) {
      case COMMAND.price:
        return await priceCommand(cmd, deps);
      case COMMAND.refund:
        if (cmd.sub === SUB.refundShow) return await refundShow(cmd, deps);
        if (cmd.sub === SUB.refundCalc) return await refundCalc(cmd, deps);
        if (cmd.sub === SUB.refundSetStage) return await refundSetStage(cmd, deps);
        if (cmd.sub === SUB.refundSetTerms) return await refundSetTerms(cmd, deps);
        break;
      case COMMAND.news:
        return await newsCommand(cmd, deps);
      case COMMAND.alerts:
        return await alertsCommand(cmd, deps);
      case COMMAND.status:
        return await statusCommand(cmd, deps);
      case COMMAND.chain:
        return await chainCommand(cmd, deps);
      case COMMAND.feeds:
        return await feedsCommand(cmd, deps);
    }
    const full = cmd.sub ? `/${cmd.name} ${cmd.sub}` : `/${cmd.name}`;
    return errorReply(
      say(cmd.language, { en: `Unknown command ${full}.`, ja: `不明なコマンドです: ${full}` }),
    );
  } catch (err) {
    if (err instanceof CommandError) return errorReply(err.message);
    throw err;
  }
}
