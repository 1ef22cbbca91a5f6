/**
 * @module test/bench/peers/bundle — a peer tracker's entry (`./snowplow`, `./posthog`) bundled as a
 * shop would ship it: one minified IIFE, built by the same Vite (rolldown, oxc's minifier) as `aisle.js`.
 */
import { join } from 'node:path';
import { build } from 'vite';

export async function bundlePeer(name: 'snowplow' | 'posthog'): Promise<Buffer> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2020',
      lib: { entry: join(import.meta.dirname, `${name}.ts`), formats: ['iife'], name: `${name}Bench`, fileName: name },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => ('output' in o ? o.output : []));
  const chunks = outputs.filter((o) => o.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`${name}: expected one bundle, got ${chunks.length}`);
  return Buffer.from((chunks[0] as { code: string }).code);
}
