/** @module store/name — the shopper database's name, apart from its code: the tag asks whether it exists without loading it. */

/** Specific enough not to collide with a database of the merchant's own on the same origin. */
export const DB_NAME = 'aisle-shopper';
