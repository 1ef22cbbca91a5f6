/**
 * @module examples/storefront/serve — `npm start`: the product's edge server with the demo shop on
 * top, as a merchant's own deployment would compose it. The demo brings its site key (`demo`,
 * allowed from the server's own origins), a signing key pair registered for it, its simulated
 * season in the store for the dashboard (AISLE_DEMO_EVENTS=0: none), and its models trained,
 * published signed and scored (AISLE_DEMO_MODELS=0: none); the profile job serves every site.
 */
import { join } from 'node:path';
import { startProfileJob } from '@aisle/edge-server/jobs/profiles';
import { startEdge } from '@aisle/edge-server/server';
import { mountDemo } from './app';
import { demoSigningKey, ensureDemoModels, publishDemoModels, scoreDemoProfiles, seedDemoEvents } from './models';

let demoKey: { privateFile: string; publicKey: string } | undefined;

startEdge({
  async compose({ app, storage, dataDir, port }) {
    // The demo shop's own site key, allowed from the origins this server answers on.
    const demo = await storage.getSite('demo');
    const origins = new Set([...(demo?.origins ?? []), `http://localhost:${port}`, `http://127.0.0.1:${port}`]);
    if (process.env.AISLE_PUBLIC_URL) origins.add(new URL(process.env.AISLE_PUBLIC_URL).origin);
    await storage.putSite({
      key: 'demo',
      name: 'Aisle demo shop',
      origins: [...origins],
      created_at: demo?.created_at ?? Date.now(),
    });
    // The demo shop runs signed models only: its key pair, registered for the site, pinned on its tag.
    demoKey = await demoSigningKey(join(dataDir, 'keys'), storage.registry);
    mountDemo(app, { key: demoKey.publicKey });
  },
  listening(edge) {
    const key = demoKey as { privateFile: string; publicKey: string };
    console.log(`  demo shop:      ${edge.url}/demo/`);
    console.log(
      `  storefront tag: <script async src="${edge.url}/aisle.js" data-site="demo" data-key="${key.publicKey}"></script>`,
    );
    const server = edge.url.replace('//localhost:', '//127.0.0.1:');
    const log = (line: string) => console.log(`  models:         ${line}`);
    // The demo's simulated season in the store, for the dashboard (AISLE_DEMO_EVENTS=0: none).
    if (process.env.AISLE_DEMO_EVENTS !== '0') {
      const seed = () =>
        seedDemoEvents(edge.storage, edge.dataDir, (line) => console.log(`  demo events:    ${line}`)).catch(
          (error: Error) => console.log(`  demo events:    could not store them: ${error.message}`),
        );
      void seed();
      // A shop left running keeps living: each hour, the simulated shoppers' visits up to it.
      setInterval(seed, 60 * 60 * 1000).unref();
    }
    if (process.env.AISLE_DEMO_MODELS !== '0') {
      // Training failures are reported where they happen; publishing ones here.
      ensureDemoModels(edge.modelsDir, { log })
        .ready.then(
          () =>
            publishDemoModels(edge.modelsDir, {
              server,
              token: edge.token,
              keyFile: key.privateFile,
              registry: edge.storage.registry,
              log,
            }).then(() => scoreDemoProfiles(edge.modelsDir, { server, token: edge.token, log })),
          () => {},
        )
        .catch((error: Error & { stderr?: string }) =>
          log(
            `could not publish the demo models or profiles: ${(error.stderr ?? error.message).trim().split('\n').at(-1)}`,
          ),
        );
    }
    // The profile job scores every site with a published profile model: the demo's once published.
    return startProfileJob(edge);
  },
}).catch((err) => {
  console.error('[edge] could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
