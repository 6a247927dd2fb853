import type {
  ApplicationCommandOptionType as OptionType,
  ApplicationCommandType as CommandType,
  InteractionContextType as ContextType,
  InteractionResponseType as ResponseType,
  InteractionType as RequestType,
  MessageFlags as Flags,
} from 'discord-api-types/v10';

/**
 * The few Discord API values the interactions path uses, typed as discord-api-types' own enum
 * members. Importing them from discord-api-types at run time evaluates its whole CommonJS tree
 * (every enum and route of the API): that was most of our share of the interactions bundle's
 * cold load (issue 15). discord-api-types stays the source of every type; test/unit/api-values
 * checks each value against it, and the bundle test that it stays out of the interactions bundle.
 */
export const ApplicationCommandOptionType = {
  Subcommand: 1 as OptionType.Subcommand,
  SubcommandGroup: 2 as OptionType.SubcommandGroup,
  String: 3 as OptionType.String,
  Integer: 4 as OptionType.Integer,
  Boolean: 5 as OptionType.Boolean,
  Role: 8 as OptionType.Role,
  Number: 10 as OptionType.Number,
} as const;

export const ApplicationCommandType = { ChatInput: 1 as CommandType.ChatInput } as const;

export const InteractionContextType = {
  Guild: 0 as ContextType.Guild,
  BotDM: 1 as ContextType.BotDM,
} as const;

export const InteractionType = {
  Ping: 1 as RequestType.Ping,
  ApplicationCommand: 2 as RequestType.ApplicationCommand,
  ApplicationCommandAutocomplete: 4 as RequestType.ApplicationCommandAutocomplete,
} as const;

export const InteractionResponseType = {
  Pong: 1 as ResponseType.Pong,
  ChannelMessageWithSource: 4 as ResponseType.ChannelMessageWithSource,
  DeferredChannelMessageWithSource: 5 as ResponseType.DeferredChannelMessageWithSource,
  ApplicationCommandAutocompleteResult: 8 as ResponseType.ApplicationCommandAutocompleteResult,
} as const;

export const MessageFlags = { Ephemeral: 64 as Flags.Ephemeral } as const;

/** Permission bits (discord-api-types types these as plain bigint). */
export const PermissionFlagsBits = {
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
} as const;
