/**
 * @module extension/manifest.config — the Aisle extension's MV3 manifest. It asks for no site at
 * install: a store's host permission is requested at runtime, from the popup, for that store only.
 * `AISLE_EXTENSION_TEST_HOSTS` (comma-separated match patterns) grants hosts up front in test builds
 * only, because a browser under automation cannot answer the permission prompt.
 */
import { readFileSync } from 'node:fs';
import { defineManifest } from '@crxjs/vite-plugin';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const testHosts = (process.env.AISLE_EXTENSION_TEST_HOSTS ?? '')
  .split(',')
  .map((h) => h.trim())
  .filter(Boolean);

/** The shopping-bag mark (`public/icons/`, drawn from the demo shop's favicon.svg), in the sizes Chrome asks for. */
const ICONS = Object.fromEntries([16, 32, 48, 128].map((size) => [String(size), `icons/aisle-${size}.png`]));

export default defineManifest({
  manifest_version: 3,
  name: 'Aisle',
  version,
  description:
    'Your privacy centre for stores that use Aisle: see, pause and erase what they capture; models shared across stores.',
  minimum_chrome_version: '116',
  icons: ICONS,
  action: { default_popup: 'src/ext/popup.html', default_title: 'Aisle', default_icon: ICONS },
  background: { service_worker: 'src/ext/background.ts', type: 'module' },
  permissions: ['storage', 'offscreen', 'scripting', 'activeTab'],
  optional_host_permissions: ['https://*/*', 'http://*/*'],
  ...(testHosts.length ? { host_permissions: testHosts } : {}),
  content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'" },
});
