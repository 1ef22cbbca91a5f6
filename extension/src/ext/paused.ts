/**
 * @module ext/paused — the content script of a store the shopper paused: one attribute, set before
 * any of the page's scripts run, which the storefront tag reads and then captures nothing.
 */
document.documentElement.dataset.aisleExtension = 'paused';
