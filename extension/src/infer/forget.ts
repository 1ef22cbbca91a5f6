/**
 * @module infer/forget — what the tag itself deletes from the models' database when the shopper
 * erases their history or withdraws personalisation: a head recommender's kept answers, which name
 * products the shopper had on screen. Plain IndexedDB, no wrapper: this rides in `aisle.js`.
 */

export const MODELS_DB = 'aisle-models';
export const KEPT_PREFIX = 'candidates:';

/** Deletes every kept answer of this origin's models database. Never throws (no database: nothing kept). */
export function forgetKept(): Promise<void> {
  return new Promise((resolve) => {
    let open: IDBOpenDBRequest;
    try {
      open = indexedDB.open(MODELS_DB);
    } catch {
      resolve(); // private mode or storage refused: nothing was kept
      return;
    }
    open.onerror = () => resolve();
    // No database yet: nothing to delete, and none is made here.
    open.onupgradeneeded = () => open.transaction?.abort();
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('meta')) {
        db.close();
        resolve();
        return;
      }
      const tx = db.transaction('meta', 'readwrite');
      const store = tx.objectStore('meta');
      const keys = store.getAllKeys();
      keys.onsuccess = () => {
        for (const key of keys.result) if (String(key).startsWith(KEPT_PREFIX)) store.delete(key);
      };
      tx.oncomplete =
        tx.onerror =
        tx.onabort =
          () => {
            db.close();
            resolve();
          };
    };
  });
}
