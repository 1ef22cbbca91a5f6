/** @module test/global-setup — builds the storefront script once before the browser tests load it. */
import { build } from 'vite';

export default async function setup() {
  await build({ logLevel: 'warn' });
}
