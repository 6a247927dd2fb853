import type { Language, MessageKind } from '../../lambdas/domain/config';
import type { Announcement, MessagePayload } from '../../lambdas/domain/messages';

export interface AnnouncementSpec {
  key?: string;
  kind?: MessageKind;
  ruleId?: string;
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: string;
  /** Extra payload properties (e.g. allowed_mentions) merged into every rendering. */
  extra?: Partial<MessagePayload>;
}

let counter = 0;

/**
 * A small Announcement shaped like a price alert (one embed with fields), rendered in English or
 * Japanese. Defaults describe a 12 % XEM drop; override what a test is about.
 */
export function buildAnnouncement(spec: AnnouncementSpec = {}): Announcement {
  const key = spec.key ?? `price:XEM/JPY:drop-5-60:test-${++counter}`;
  return {
    key,
    kind: spec.kind ?? 'price',
    ...(spec.ruleId ? { ruleId: spec.ruleId } : {}),
    render: (language: Language): MessagePayload => ({
      embeds: [
        {
          title:
            spec.title ??
            (language === 'ja' ? 'XEM 価格下落 -12.0%（1時間）' : 'XEM price drop -12.0% (1 h)'),
          description:
            spec.description ?? (language === 'ja' ? 'zaif, hitbtc の中央値' : 'median of zaif, hitbtc'),
          fields: spec.fields ?? [
            { name: language === 'ja' ? '価格' : 'Price', value: '79.20 JPY' },
            { name: language === 'ja' ? '返金レート' : 'Refund rate', value: '88.549 JPY (-10.6%)' },
          ],
          footer: { text: spec.footer ?? 'goxwatch · zaif XEM/JPY' },
          timestamp: '2018-01-26T03:00:00.000Z',
        },
      ],
      ...spec.extra,
    }),
  };
}
