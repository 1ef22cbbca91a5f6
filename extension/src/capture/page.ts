/** @module capture/page — page context with the privacy rules for URLs applied. */
import { LIMITS } from '@aisle/shared-models/schema/constants';
import { truncateText } from '@aisle/shared-models/schema/text';

/** Query parameters kept by default: campaign attribution only. Everything else may identify someone. */
export const DEFAULT_URL_PARAMS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

const EMAIL = /[^\s/@?#&=]+@[^\s/@?#&=]+\.[a-z]{2,}/gi;

/**
 * Strips a URL to origin, path and the allowed query parameters; drops the fragment (it carries
 * tokens on OAuth returns) and masks e-mail addresses in the path. Returns '' for a URL that
 * does not parse.
 */
export function sanitizeUrl(raw: string, allowed: readonly string[], base?: string): string {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return '';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
  const kept = new URLSearchParams();
  url.searchParams.forEach((value, key) => {
    if (allowed.includes(key)) kept.append(key, value);
  });
  const query = kept.toString();
  const path = url.pathname.replace(EMAIL, '[email]');
  return `${url.origin}${path}${query ? `?${query}` : ''}`;
}

/** The `page` field of an event, for the document as it is now. */
export function pageContext(doc: Document, allowed: readonly string[]) {
  return {
    url: truncateText(sanitizeUrl(doc.location.href, allowed), LIMITS.url),
    referrer: doc.referrer ? truncateText(sanitizeUrl(doc.referrer, allowed), LIMITS.url) : undefined,
    title: doc.title ? truncateText(doc.title, LIMITS.title) : undefined,
  };
}

/**
 * The kind of device, from what the browser says of itself: the `mobile` hint of User-Agent Client
 * Hints where there is one, else a coarse pointer on a small screen (mobile) or a large one
 * (tablet), else desktop. Undefined when the browser will not say.
 */
export function deviceClass(win: Window): 'mobile' | 'tablet' | 'desktop' | undefined {
  try {
    const hints = (win.navigator as Navigator & { userAgentData?: { mobile?: boolean } }).userAgentData;
    if (hints?.mobile) return 'mobile';
    if (win.matchMedia?.('(pointer: coarse)').matches) {
      return Math.min(win.screen.width, win.screen.height) < 600 ? 'mobile' : 'tablet';
    }
    return 'desktop';
  } catch {
    return undefined;
  }
}
