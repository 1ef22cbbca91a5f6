/** @module test/global-setup — builds the storefront scripts and the merchant dashboard once before the browser tests load them. */
import { build } from 'vite';

export default async function setup() {
  await build({ logLevel: 'warn' });
  await build({ logLevel: 'warn', mode: 'sync' });
  await build({ logLevel: 'warn', mode: 'recs' });
  await build({ logLevel: 'warn', mode: 'infer' });
  await build({ logLevel: 'warn', mode: 'dashboard' });
}
