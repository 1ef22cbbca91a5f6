/**
 * @module edge-server — the product's server (`npm run serve`): ingest, the registry, profiles, the
 * shopper's `/v1/me` and the merchant dashboard on PORT (8787), data in AISLE_DATA_DIR (./.aisle),
 * and the profile job for every site with a published profile model (AISLE_PROFILE_HOURS, default
 * 6; 0: off). Sites are created through the admin API. `npm start` runs the demo shop on top of it
 * (`examples/storefront/serve.ts`).
 */
import { startProfileJob } from './jobs/profiles';
import { startEdge } from './server';

startEdge({ listening: startProfileJob }).catch((err) => {
  console.error('[edge] could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
