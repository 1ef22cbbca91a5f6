/** @module capture/consent — who may capture what, from the merchant's mode, the shopper's choice and GPC. */

/** `opt-in`: nothing until the shopper agrees. `opt-out`: capture until the shopper declines. */
export type ConsentMode = 'opt-in' | 'opt-out';

export interface Consent {
  /** Events may leave the device for the store's analytics. */
  analytics: boolean;
  /** Events may be kept on the device to personalise (recommendations run locally). */
  personalization: boolean;
}

export interface ConsentState extends Consent {
  mode: ConsentMode;
  /** The browser sends Global Privacy Control. */
  gpc: boolean;
  /** The shopper (through the merchant's banner) has made a choice; false means defaults apply. */
  decided: boolean;
}

/**
 * Resolves consent. A stored choice wins; otherwise opt-in grants nothing, and opt-out grants
 * everything except that GPC, a legally binding "do not sell or share" signal in several US
 * states, turns off sharing (analytics) while on-device personalisation, which shares nothing,
 * stays on.
 */
export function resolveConsent(mode: ConsentMode, gpc: boolean, stored?: Partial<Consent> | null): ConsentState {
  if (stored && typeof stored.analytics === 'boolean' && typeof stored.personalization === 'boolean') {
    return { mode, gpc, decided: true, analytics: stored.analytics, personalization: stored.personalization };
  }
  const granted = mode === 'opt-out';
  return { mode, gpc, decided: false, analytics: granted && !gpc, personalization: granted };
}

/** True while no decision exists yet and the mode asks for one: events wait in memory only. */
export const awaitingDecision = (c: ConsentState) => c.mode === 'opt-in' && !c.decided;
