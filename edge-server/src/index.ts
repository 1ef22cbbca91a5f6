/** @module edge-server — `npm start`: the edge server with the demo shop, on PORT (8787) with data in AISLE_DATA_DIR (./.aisle). */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app';
import {
  demoSigningKey,
  ensureDemoModels,
  publishDemoModels,
  scheduleProfileJob,
  scoreDemoProfiles,
  seedDemoEvents,
} from './demo-models';
import { openStorage } from './storage';

/** The operator token: AISLE_OPERATOR_TOKEN, else the one generated on first start and kept in the data dir. */
function operatorToken(dataDir: string): { token: string; generated: boolean } {
  const fromEnv = process.env.AISLE_OPERATOR_TOKEN?.trim();
  if (fromEnv) return { token: fromEnv, generated: false };
  const file = join(dataDir, 'operator-token');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept) return { token: kept, generated: false };
  } catch {
    // first start
  }
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

/** AISLE_TRUST_PROXY: how many proxies append to X-Forwarded-For in front of this server (unset or 0: none). */
function trustedHops(value: string | undefined): number {
  const hops = Number(value ?? 0);
  if (!Number.isInteger(hops) || hops < 0)
    throw new Error(`AISLE_TRUST_PROXY must be a whole number of proxies, got "${value}"`);
  return hops;
}

/** A rate limit in requests per minute from the environment, or undefined for the default. */
function perMinute(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} must be a whole number of requests per minute, got "${raw}"`);
  return n;
}

async function main() {
  const port = Number(process.env.PORT ?? 8787);
  const host = process.env.HOST ?? '0.0.0.0';
  const dataDir = resolve(process.env.AISLE_DATA_DIR ?? '.aisle');
  await mkdir(dataDir, { recursive: true });
  const storage = openStorage(process.env.AISLE_DATABASE_URL ?? join(dataDir, 'aisle.db'));
  const version = await storage.migrate();
  const { token, generated } = operatorToken(dataDir);
  const fromEnv = !!process.env.AISLE_OPERATOR_TOKEN?.trim();

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

  const modelsDir = join(dataDir, 'models');
  // The demo shop runs signed models only: its key pair, registered for the site, pinned on its tag.
  const demoKey = await demoSigningKey(join(dataDir, 'keys'), storage.registry);
  const app = createApp({
    storage,
    operatorToken: token,
    modelsDir,
    demoKey: demoKey.publicKey,
    trustProxy: trustedHops(process.env.AISLE_TRUST_PROXY),
    rateLimit: {
      perClient: perMinute('AISLE_RATE_PER_CLIENT'),
      perSite: perMinute('AISLE_RATE_PER_SITE'),
      perClientAllRoutes: perMinute('AISLE_RATE_PER_CLIENT_ALL'),
    },
    clientIpHeader: process.env.AISLE_CLIENT_IP_HEADER?.trim() || undefined,
  });
  const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
    console.log(
      `Aisle edge server on http://localhost:${info.port}  (${storage.kind}, schema v${version}, data in ${dataDir})`,
    );
    console.log(`  demo shop:      http://localhost:${info.port}/demo/`);
    console.log(`  dashboard:      http://localhost:${info.port}/dashboard/  (sign in with the operator token)`);
    console.log(
      `  storefront tag: <script async src="http://localhost:${info.port}/aisle.js" data-site="demo" data-key="${demoKey.publicKey}"></script>`,
    );
    // Shown in full once, when it is made: logs are read by more people than the data dir.
    const tokenFile = join(dataDir, 'operator-token');
    console.log(
      `  operator token: ${fromEnv ? '(from AISLE_OPERATOR_TOKEN)' : generated ? `${token}  (generated now and kept in ${tokenFile}; shown this once)` : `in ${tokenFile}`}`,
    );
    console.log(
      `  stats:          curl -H "Authorization: Bearer $TOKEN" http://localhost:${info.port}/v1/admin/stats`,
    );
    const log = (line: string) => console.log(`  models:         ${line}`);
    // The demo's simulated season in the store, for the dashboard (AISLE_DEMO_EVENTS=0: none).
    if (process.env.AISLE_DEMO_EVENTS !== '0') {
      seedDemoEvents(storage, dataDir, (line) => console.log(`  demo events:    ${line}`)).catch((error: Error) =>
        console.log(`  demo events:    could not store them: ${error.message}`),
      );
    }
    if (process.env.AISLE_DEMO_MODELS !== '0') {
      // Training failures are reported where they happen; publishing ones here.
      ensureDemoModels(modelsDir, { log })
        .ready.then(
          () =>
            publishDemoModels(modelsDir, {
              server: `http://127.0.0.1:${info.port}`,
              token,
              keyFile: demoKey.privateFile,
              registry: storage.registry,
              log,
            }).then(() => scoreDemoProfiles(modelsDir, { server: `http://127.0.0.1:${info.port}`, token, log })),
          () => {},
        )
        .catch((error: Error & { stderr?: string }) =>
          log(
            `could not publish the demo models or profiles: ${(error.stderr ?? error.message).trim().split('\n').at(-1)}`,
          ),
        );
    }
  });
  // The recurring profile job over what the storefront captured (AISLE_PROFILE_HOURS, default 6; 0: off).
  const hours = Number(process.env.AISLE_PROFILE_HOURS ?? 6);
  const stopProfiles =
    process.env.AISLE_DEMO_MODELS !== '0' && hours > 0
      ? scheduleProfileJob(modelsDir, {
          store: process.env.AISLE_DATABASE_URL ?? `sqlite:${join(dataDir, 'aisle.db')}`,
          server: `http://127.0.0.1:${port}`,
          token,
          hours,
          log: (line) => console.log(`  profiles:       ${line}`),
        })
      : () => {};
  const stop = () => {
    stopProfiles();
    server.close(() => void app.stop().then(() => storage.close().then(() => process.exit(0))));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error('[edge] could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
