import type { Config, IncidentConfig } from './config';
import { splitSymbol } from './consensus';

/**
 * The reference price belongs to an incident (docs/adr/0007-reference-belongs-to-the-incident.md):
 * its refund rate in its currency, plus the conversions it declares (each with its date and
 * source). It applies only to series whose base is that incident's asset and whose quote is one
 * of those currencies. A series of another asset never borrows it.
 */

export interface Reference {
  price: number;
  currency: string;
  incidentId: string;
  /** refund: the announced rate itself; conversion: that rate converted once, at `date`, per `source`. */
  basis: 'refund' | 'conversion';
  date?: string;
  source?: string;
}

/** Refund terms known beyond the config (from evidence or `refund set-terms`), per incident id. */
export type KnownTerms = ReadonlyMap<string, { rate: number; currency: string }>;

/** The rates stored refund records carry (from evidence or by hand), per incident. */
export function knownTermsOf(
  records: readonly { incidentId: string; rate?: number; currency?: string }[],
): KnownTerms {
  const known = new Map<string, { rate: number; currency: string }>();
  for (const r of records)
    if (r.rate !== undefined && r.currency) known.set(r.incidentId, { rate: r.rate, currency: r.currency });
  return known;
}

/** The effective refund rate of an incident: stored terms first, then the config's. */
export function refundRateOf(
  incident: IncidentConfig,
  known?: KnownTerms,
): { rate: number; currency: string } | undefined {
  const stored = known?.get(incident.id);
  if (stored) return stored;
  return incident.refund ? { rate: incident.refund.rate, currency: incident.refund.currency } : undefined;
}

/** The reference of one incident in one quote currency, if it has one. */
export function incidentReference(
  incident: IncidentConfig,
  quote: string,
  known?: KnownTerms,
): Reference | undefined {
  const terms = refundRateOf(incident, known);
  if (!terms) return undefined;
  if (terms.currency === quote)
    return { price: terms.rate, currency: quote, incidentId: incident.id, basis: 'refund' };
  // Conversions were declared for the configured rate: a different stored rate makes them stale.
  const configured = incident.refund;
  if (!configured || configured.rate !== terms.rate || configured.currency !== terms.currency)
    return undefined;
  const conversion = configured.conversions?.find((c) => c.currency === quote);
  if (!conversion) return undefined;
  return {
    price: conversion.rate,
    currency: quote,
    incidentId: incident.id,
    basis: 'conversion',
    date: conversion.date,
    source: conversion.source,
  };
}

/**
 * The reference for a series: from the first incident (config order) of the series' base asset
 * that has one in the series' quote currency.
 */
export function referenceFor(config: Config, symbol: string, known?: KnownTerms): Reference | undefined {
  const { base, quote } = splitSymbol(symbol);
  for (const incident of config.incidents) {
    if (incident.asset !== base) continue;
    const ref = incidentReference(incident, quote, known);
    if (ref) return ref;
  }
  return undefined;
}
