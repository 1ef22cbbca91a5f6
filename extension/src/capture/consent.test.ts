import { describe, expect, it } from 'vitest';
import { awaitingDecision, resolveConsent } from './consent';

describe('resolveConsent', () => {
  it('grants nothing in opt-in mode until the shopper decides', () => {
    const c = resolveConsent('opt-in', false, null);
    expect(c).toMatchObject({ analytics: false, personalization: false, decided: false });
    expect(awaitingDecision(c)).toBe(true);
  });

  it('grants both in opt-out mode', () => {
    expect(resolveConsent('opt-out', false, undefined)).toMatchObject({ analytics: true, personalization: true });
  });

  it('turns off sharing under Global Privacy Control but keeps on-device personalisation', () => {
    expect(resolveConsent('opt-out', true, null)).toMatchObject({ analytics: false, personalization: true, gpc: true });
  });

  it('follows a stored choice in either mode', () => {
    const stored = { analytics: true, personalization: false };
    expect(resolveConsent('opt-in', false, stored)).toMatchObject({ ...stored, decided: true });
    expect(resolveConsent('opt-out', true, stored)).toMatchObject({ ...stored, decided: true });
  });

  it('ignores a malformed stored choice', () => {
    expect(resolveConsent('opt-in', false, { analytics: 'yes' } as never).decided).toBe(false);
  });
});
