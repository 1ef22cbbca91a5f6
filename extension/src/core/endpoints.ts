/** @module core/endpoints — the edge's URLs as the browser code asks for them. */

/**
 * `${endpoint}/v1/${path}?site=KEY`: the site key in the query, since beacons and the posts that
 * avoid a CORS preflight carry no header of their own.
 */
export const siteUrl = (endpoint: string, path: string, site: string) =>
  `${endpoint}/v1/${path}?site=${encodeURIComponent(site)}`;
