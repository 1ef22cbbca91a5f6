/** @module capture/page — page context with the privacy rules for URLs applied. */

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
    url: sanitizeUrl(doc.location.href, allowed),
    referrer: doc.referrer ? sanitizeUrl(doc.referrer, allowed) : undefined,
    title: doc.title ? doc.title.slice(0, 300) : undefined,
  };
}
