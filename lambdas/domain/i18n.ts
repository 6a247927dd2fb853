import type { Language } from './config';

/**
 * The one i18n style: a text is both languages side by side, `{ en, ja }` (a string, or a function
 * for text with values), picked by `say`. The config's names and keywords have the same shape, and
 * a language added to LANGUAGES makes every text that lacks it a compile error.
 */
export type Localized<T = string> = Readonly<Record<Language, T>>;

export function say<T>(language: Language, text: Localized<T>): T {
  return text[language];
}
