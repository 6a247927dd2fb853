import { z } from 'zod';
import { DROP_RULE_BOUNDS } from './rule-ids';
import { nemAddressProblem, normalizeNemAddress } from './chain-address';

/**
 * The one typed, validated configuration, shared by the local runner, the Lambdas and the CDK stack.
 * Pure: no file or env access here (see lambdas/app/config-file.ts).
 */

export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];
export const MESSAGE_KINDS = ['price', 'news', 'refund', 'chain'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

const symbolPattern = /^[A-Z0-9]+\/[A-Z0-9]+$/;
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date');
const httpUrl = z.string().refine((s) => /^https?:\/\/[^\s]+$/.test(s), 'must be an http(s) URL');

const sourceSchema = z.strictObject({
  /** ccxt exchange id, e.g. "zaif". */
  exchange: z.string().regex(/^[a-z0-9]+$/, 'must be a ccxt exchange id (lower case)'),
  /** Unified ccxt symbol, e.g. "XEM/JPY". */
  symbol: z.string().regex(symbolPattern, 'must be a unified symbol like XEM/JPY'),
  /** Passed to ccxt as its `urls` override: point a source at a proxy or a loopback server. */
  urls: z.record(z.string(), z.unknown()).optional(),
});

const channelSchema = z.strictObject({
  id: z.string().regex(/^\d{5,25}$/, 'must be a Discord channel id (digits)'),
  kinds: z.array(z.enum(MESSAGE_KINDS)).min(1, 'must list at least one of price, news, refund, chain'),
  language: z.enum(LANGUAGES).optional(),
  /** The server the channel is in: the feeds that server adds with /feeds add post here too. */
  guildId: z
    .string()
    .regex(/^\d{5,25}$/, 'must be a Discord server (guild) id (digits)')
    .optional(),
});

const feedSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  url: httpUrl,
  /** Language the feed is written in; a hint for matching and display. */
  language: z.enum(LANGUAGES).optional(),
});

// The bounds of a drop rule live in rules.ts (zod-free: the interactions bundle checks rule ids
// and quotes the bounds without zod); the schema below enforces the same ones.
export { DROP_RULE_BOUNDS };

/** Also validates drop rule ids a channel stored with /alerts (lambdas/domain/rules.ts parseRuleId). */
export const dropRuleSchema = z.strictObject({
  /** Percent fall from the highest consensus price in the window, e.g. 5. */
  percent: z
    .number()
    .gt(DROP_RULE_BOUNDS.percentAbove, `must be above ${DROP_RULE_BOUNDS.percentAbove}`)
    .lt(DROP_RULE_BOUNDS.percentBelow, `must be below ${DROP_RULE_BOUNDS.percentBelow}`),
  windowMinutes: z
    .number()
    .int()
    .min(DROP_RULE_BOUNDS.minWindowMinutes)
    .max(DROP_RULE_BOUNDS.maxWindowMinutes),
});

const rulesSchema = z.strictObject({
  drops: z.array(dropRuleSchema),
  /** After an alert, the same rule stays quiet this long. */
  cooldownMinutes: z
    .number()
    .min(0)
    .max(60 * 24 * 7),
  /** A fired rule re-arms only after the price recovers this many percent past the threshold. */
  hysteresisPercent: z.number().min(0).max(50),
  /** Quotes older than this are stale and left out of the consensus. */
  maxQuoteAgeSeconds: z.number().int().min(10).max(86_400),
  /** A quote further than this from the median of the others is an outlier. */
  outlierPercent: z.number().gt(0).max(90),
  /**
   * A price from one venue alone that moves more than this factor from the last consensus in one
   * poll (×3 up or ÷3 down by default) is held as suspect until a second venue or
   * `suspectConfirmPolls` polls in a row confirm it; meanwhile it neither moves the high nor fires a rule.
   */
  suspectFactor: z.number().gt(1).max(1_000_000).optional(),
  suspectConfirmPolls: z.number().int().min(2).max(100).optional(),
  /** How long samples are kept (DynamoDB TTL). */
  sampleRetentionDays: z.number().int().min(2).max(400),
});

const currencyCode = z.string().regex(/^[A-Z0-9]+$/, 'must be a currency code like JPY or USDT');

/**
 * The refund rate expressed in another quote currency, converted once at a declared date and
 * source; never with a live FX rate (docs/adr/0007-reference-belongs-to-the-incident.md).
 */
const conversionSchema = z.strictObject({
  currency: currencyCode,
  rate: z.number().positive(),
  /** The day of the exchange rate used. */
  date: isoDate,
  /** Where that exchange rate comes from (a URL or a named series). */
  source: z.string().min(1),
});

/** An account of the incident on a chain: the victim's wallet or the attacker's (lambdas/domain/chain-watch.ts). */
const watchSchema = z.strictObject({
  chain: z.literal('nem'),
  /** Checked (network, checksum) in configSchema's superRefine: a typo must not watch nothing. */
  address: z.string().transform(normalizeNemAddress),
  label: z.string().min(1).max(80).optional(),
  role: z.enum(['victim', 'attacker']),
});

/** The NEM (NIS1) watch: nodes, how far to follow the money, when an outflow is a drain. */
const nemChainSchema = z.strictObject({
  /** NIS1 REST base URLs (port 7890); several, so one down or lagging node is skipped. */
  nodes: z.array(httpUrl).min(1, 'must list at least one NIS1 node URL'),
  network: z.enum(['mainnet', 'testnet']),
  pollSeconds: z.number().int().min(30).max(3600),
  /** A node more than this many blocks behind the best one is not used. */
  maxLagBlocks: z.number().int().min(0).max(360),
  /** Page size for /account/transfers/* (NIS clamps to 5..100). */
  pageSize: z.number().int().min(5).max(100),
  /** At most this many pages per account and direction per poll (new accounts have history). */
  maxPages: z.number().int().min(1).max(100),
  follow: z.strictObject({
    /** An attacker account's recipient is watched at depth + 1, up to this depth (0 = never follow). */
    maxDepth: z.number().int().min(0).max(10),
    /** Smaller transfers (dust, tags) are not followed. */
    minXem: z.number().min(0),
  }),
  drain: z.strictObject({
    /** Outflow from a victim account within the window of at least this share of its balance … */
    sharePercent: z.number().gt(0).max(100),
    /** … or at least this many XEM, raises the drain alert. */
    minXem: z.number().positive(),
    windowMinutes: z.number().int().min(1).max(1440),
    cooldownMinutes: z.number().int().min(0).max(10_080),
  }),
  /** More movements than this in one poll become one summary message per channel. */
  burstThreshold: z.number().int().min(1).max(50),
  /** Explorer links; {address} and {hash} are replaced. */
  explorer: z.strictObject({ account: httpUrl, transaction: httpUrl }),
});

/** Refund terms as announced; every field but the rate and its currency may still be unknown. */
const refundSchema = z.strictObject({
  rate: z.number().positive(),
  currency: currencyCode,
  referenceVenue: z.string().optional(),
  referenceWindow: z.strictObject({ from: isoDate, to: isoDate }).optional(),
  holders: z.number().int().positive().optional(),
  totalAmount: z.number().positive().optional(),
  conversions: z.array(conversionSchema).optional(),
});

/** An incident needs an id, names, asset, start and keywords; the rest may arrive later. */
const incidentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.strictObject({ en: z.string().min(1), ja: z.string().min(1) }),
  asset: z.string().regex(/^[A-Z0-9]+$/),
  /**
   * Other names the news uses for the asset (NEM, ネム for XEM): a rate "per NEM" is the asset's,
   * and a coin so named is not another coin's story.
   */
  aliases: z.array(z.string().min(1)).optional(),
  startedAt: isoDate,
  detectedAt: isoDate.optional(),
  amountStolen: z.number().positive().optional(),
  /** Unset while no refund is announced: no reference price, no below-reference alert. */
  refund: refundSchema.optional(),
  keywords: z.strictObject({ en: z.array(z.string().min(1)), ja: z.array(z.string().min(1)) }),
  /** Feed ids (from `feeds`) that report on this incident. */
  feeds: z.array(z.string()).default([]),
  /**
   * The incident's own voice (its exchange's press feed, its web domains): a refund stage they
   * state moves at once, backwards too when they contradict it. Anyone else needs a second,
   * independent source within confirmWindowHours (lambdas/domain/refund-confirm.ts).
   */
  officialSources: z
    .strictObject({
      feeds: z.array(z.string()).default([]),
      /** Link hosts; a subdomain counts too ("coincheck.com" covers corporate.coincheck.com). */
      domains: z
        .array(
          z
            .string()
            .regex(/^(?:[a-z0-9-]+\.)+[a-z]{2,}$/, 'must be a lower-case host name like coincheck.com'),
        )
        .default([]),
    })
    .optional(),
  /** Hours within which a second independent source confirms an unofficial one (default 48). */
  confirmWindowHours: z.number().positive().max(720).optional(),
  /** On-chain accounts to watch (needs `chains.nem`). */
  watch: z.array(watchSchema).optional(),
});

export const configSchema = z
  .strictObject({
    /** Default message language for channels that do not set one. */
    language: z.enum(LANGUAGES),
    sources: z.array(sourceSchema).min(1, 'must list at least one price source'),
    channels: z.array(channelSchema),
    /** Channel for operational notices (feed disabled, bad token); optional. */
    adminChannel: z
      .string()
      .regex(/^\d{5,25}$/)
      .optional(),
    feeds: z.array(feedSchema),
    incidents: z.array(incidentSchema),
    rules: rulesSchema,
    intervals: z.strictObject({
      priceSeconds: z.number().int().min(5).max(86_400),
      newsSeconds: z.number().int().min(30).max(86_400),
    }),
    chains: z.strictObject({ nem: nemChainSchema.optional() }).optional(),
    store: z
      .strictObject({
        tableName: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
        /** Any DynamoDB-compatible endpoint; unset = the embedded dynalite locally, DynamoDB in AWS. */
        endpoint: httpUrl.optional(),
      })
      .optional(),
  })
  .superRefine((cfg, ctx) => {
    const feedIds = new Set(cfg.feeds.map((f) => f.id));
    cfg.incidents.forEach((inc, i) =>
      inc.feeds.forEach((id, j) => {
        if (!feedIds.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['incidents', i, 'feeds', j],
            message: `unknown feed id "${id}"`,
          });
      }),
    );
    cfg.incidents.forEach((inc, i) =>
      inc.officialSources?.feeds.forEach((id, j) => {
        if (!feedIds.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['incidents', i, 'officialSources', 'feeds', j],
            message: `unknown feed id "${id}"`,
          });
      }),
    );
    cfg.incidents.forEach((inc, i) =>
      inc.watch?.forEach((w, j) => {
        const problem = nemAddressProblem(w.address, cfg.chains?.nem?.network ?? 'mainnet');
        if (problem)
          ctx.addIssue({
            code: 'custom',
            path: ['incidents', i, 'watch', j, 'address'],
            message: `NEM address "${w.address}" ${problem}`,
          });
        if (!cfg.chains?.nem)
          ctx.addIssue({
            code: 'custom',
            path: ['incidents', i, 'watch', j],
            message: 'needs chains.nem (nodes)',
          });
      }),
    );
    // Ids are keys (outbox ids, feed state, /alerts): a second one would silently share or shadow.
    for (const [field, what] of [
      ['channels', 'channel'],
      ['feeds', 'feed'],
      ['incidents', 'incident'],
    ] as const) {
      const ids = new Set<string>();
      cfg[field].forEach((item, i) => {
        if (ids.has(item.id))
          ctx.addIssue({
            code: 'custom',
            path: [field, i, 'id'],
            message: `duplicate ${what} id "${item.id}"`,
          });
        ids.add(item.id);
      });
    }
    const seen = new Set<string>();
    cfg.sources.forEach((s, i) => {
      const key = `${s.exchange} ${s.symbol}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: ['sources', i], message: `duplicate source ${key}` });
      seen.add(key);
    });
  });

export type Config = z.infer<typeof configSchema>;
export type SourceConfig = Config['sources'][number];
export type ChannelConfig = Config['channels'][number];
export type FeedConfig = Config['feeds'][number];
export type IncidentConfig = Config['incidents'][number];
export type RulesConfig = Config['rules'];
export type DropRule = RulesConfig['drops'][number];
export type WatchConfig = NonNullable<IncidentConfig['watch']>[number];
export type NemChainConfig = NonNullable<NonNullable<Config['chains']>['nem']>;
export type RefundTermsConfig = NonNullable<IncidentConfig['refund']>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates raw JSON; throws ConfigError naming each bad field and why. */
export function parseConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map(
      (issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`,
    ),
  );
}

/**
 * A partial config (only what differs) laid over the default: objects are merged key by key,
 * every other value (lists included) replaces the default's. In `incidents`, a string names a
 * built-in incident ("coincheck-nem-2018"), so adding a second incident does not mean restating
 * the first. Validated as a whole afterwards (parseConfig); unknown keys survive the merge so the
 * strict schema still names a typo.
 */
export function parsePartialConfig(raw: unknown, base: Config = DEFAULT_CONFIG): Config {
  if (isPlainObject(raw) && isPlainObject(raw.rules) && 'referencePrices' in raw.rules)
    throw new ConfigError([
      'rules.referencePrices: moved: a reference price belongs to its incident (incidents[].refund.rate, and incidents[].refund.conversions for other quote currencies; docs/adr/0007-reference-belongs-to-the-incident.md)',
    ]);
  const merged = mergeOver(base, raw);
  if (isPlainObject(merged) && Array.isArray(merged.incidents)) {
    const problems: string[] = [];
    merged.incidents = merged.incidents.map((entry: unknown, i) => {
      if (typeof entry !== 'string') return entry;
      const known = BUILT_IN_INCIDENTS.find((inc) => inc.id === entry);
      if (!known)
        problems.push(
          `incidents.${i}: unknown built-in incident "${entry}" (built in: ${BUILT_IN_INCIDENTS.map((b) => b.id).join(', ')}; or write the incident as an object)`,
        );
      return known ?? entry;
    });
    if (problems.length) throw new ConfigError(problems);
  }
  return parseConfig(merged);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function mergeOver(base: unknown, override: unknown): unknown {
  if (override === undefined) return structuredClone(base);
  if (!isPlainObject(base) || !isPlainObject(override)) return structuredClone(override);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) out[key] = mergeOver(base[key], value);
  return out;
}

/**
 * The Coincheck NEM hack of January 2018: the default incident. Facts and their public sources:
 * local/replay/data/PROVENANCE.md (news table), test/fixtures/nem/README.md (the theft).
 */
export const COINCHECK_NEM_2018 = {
  id: 'coincheck-nem-2018',
  name: { en: 'Coincheck NEM hack (January 2018)', ja: 'コインチェック NEM 流出事件（2018年1月）' },
  asset: 'XEM',
  // NEM is the network, XEM its unit: the news uses both for the coin.
  aliases: ['NEM', 'ネム'],
  startedAt: '2018-01-25T15:02:00Z', // 2018-01-26 00:02 JST, first outflow
  detectedAt: '2018-01-26T02:25:00Z', // 11:25 JST
  amountStolen: 523_000_000,
  refund: {
    rate: 88.549,
    currency: 'JPY',
    referenceVenue: 'zaif',
    // Volume-weighted average on Zaif XEM/JPY from 01-26 12:09 to 01-27 23:00 JST.
    referenceWindow: { from: '2018-01-26T03:09:00Z', to: '2018-01-27T14:00:00Z' },
    holders: 260_000,
    totalAmount: 46_300_000_000,
    // The same rate at about 108.7 JPY per USD on 2018-01-26, kept so USD series can be compared
    // at all; the JPY series is the authoritative one (docs/adr/0002, 0007).
    conversions: [
      { currency: 'USD', rate: 0.8146, date: '2018-01-26', source: 'USD/JPY ≈ 108.7 on 2018-01-26' },
      { currency: 'USDT', rate: 0.8146, date: '2018-01-26', source: 'USD/JPY ≈ 108.7 on 2018-01-26' },
    ],
  },
  keywords: {
    ja: ['コインチェック', 'ネム', 'NEM', 'XEM', '流出', '不正送金', '返金', '補償', '金融庁'],
    en: ['Coincheck', 'NEM', 'XEM', 'hack', 'stolen', 'refund', 'compensation', 'reimburse'],
  },
  feeds: ['coinpost', 'cointelegraph-jp', 'cointelegraph', 'coindesk'],
  // Coincheck's releases (corporate.coincheck.com, e.g. the 2018-03-12 compensation notice) and
  // its service notices (coincheck.com): its own word moves the refund stage without a second source.
  officialSources: { feeds: [], domains: ['coincheck.com'] },
  // Addresses as reported by ITmedia (2018-01-29) and Business Insider Japan (test/fixtures/nem/README.md).
  watch: [
    {
      chain: 'nem',
      address: 'NC3BI3DNMR2PGEOOMP2NKXQGSAKMS7GYRKVA5CSZ',
      label: 'Coincheck hot wallet',
      role: 'victim',
    },
    {
      chain: 'nem',
      address: 'NC4C6PSUW5CLTDT5SXAGJDQJGZNESKFK5MCN77OG',
      label: 'attacker #1',
      role: 'attacker',
    },
  ],
} satisfies IncidentConfig;

/** Incidents a config may name by id in `incidents` instead of restating them. */
export const BUILT_IN_INCIDENTS: readonly IncidentConfig[] = [COINCHECK_NEM_2018];

/** The NEM watch's defaults: public NIS1 nodes named in NEM's docs (check they still answer). */
export const DEFAULT_NEM_CHAIN: NemChainConfig = {
  nodes: ['http://hugealice.nem.ninja:7890', 'http://bigalice3.nem.ninja:7890'],
  network: 'mainnet',
  pollSeconds: 60,
  maxLagBlocks: 3,
  pageSize: 25,
  maxPages: 4,
  follow: { maxDepth: 3, minXem: 1 },
  drain: { sharePercent: 10, minXem: 10_000_000, windowMinutes: 10, cooldownMinutes: 60 },
  burstThreshold: 5,
  explorer: {
    account: 'https://explorer.nemtool.com/#/s_account?account={address}',
    transaction: 'https://explorer.nemtool.com/#/s_tx?hash={hash}',
  },
};

/** The built-in default, used when no --config / GOXWATCH_CONFIG is given. Documented in README. */
export const DEFAULT_CONFIG: Config = {
  language: 'ja',
  sources: [
    { exchange: 'zaif', symbol: 'XEM/JPY' },
    { exchange: 'hitbtc', symbol: 'XEM/USDT' },
    { exchange: 'htx', symbol: 'XEM/USDT' },
  ],
  channels: [],
  feeds: [
    { id: 'coinpost', url: 'https://coinpost.jp/?feed=rss2', language: 'ja' },
    { id: 'cointelegraph-jp', url: 'https://jp.cointelegraph.com/rss', language: 'ja' },
    { id: 'cointelegraph', url: 'https://cointelegraph.com/rss', language: 'en' },
    { id: 'coindesk', url: 'https://www.coindesk.com/arc/outboundfeeds/rss/', language: 'en' },
  ],
  incidents: [COINCHECK_NEM_2018],
  rules: {
    drops: [
      { percent: 5, windowMinutes: 60 },
      { percent: 10, windowMinutes: 24 * 60 },
    ],
    cooldownMinutes: 60,
    hysteresisPercent: 1,
    maxQuoteAgeSeconds: 300,
    outlierPercent: 20,
    sampleRetentionDays: 35,
  },
  intervals: { priceSeconds: 60, newsSeconds: 300 },
  chains: { nem: DEFAULT_NEM_CHAIN },
};
