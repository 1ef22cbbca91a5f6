/**
 * @module edge-server/server — the edge server as a process: its settings from the environment, its
 * store, its operator token, the app on a port, and a clean stop on SIGINT and SIGTERM. The
 * product's own entry (`index.ts`) and the demo (`examples/storefront/serve.ts`) both start it;
 * the demo adds its shop through `compose`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { type App, createApp } from './app';
import { openStorage, type Storage } from './storage';

/** Everything a composer (the demo) or a job needs of the running server. */
export interface Edge {
  app: App;
  storage: Storage;
  dataDir: string;
  /** Where `aisle train --out` models and the catalogue are read from (development fallback). */
  modelsDir: string;
  /** The store's URL for the `aisle` CLI's `--from`. */
  store: string;
  token: string;
  /** The port asked for (PORT); `url` is known once listening. */
  port: number;
  url: string;
  /** Stops the jobs, the server and the store. */
  stop(): Promise<void>;
}

export interface EdgeOptions {
  /** Adds routes of the caller's own before the server listens (the demo shop does). */
  compose?(edge: Omit<Edge, 'url' | 'stop'>): void | Promise<void>;
  /** Runs once the server listens, with its URL: print more, start jobs (each returns its stop). */
  listening?(edge: Edge): (() => void) | undefined;
}

/** How long a whole request may take to arrive (a 1 MiB batch over a slow phone line takes seconds). */
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;

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
  if (!Number.isInteger(hops) || hops < 0) {
    throw new Error(`AISLE_TRUST_PROXY must be a whole number of proxies, got "${value}"`);
  }
  return hops;
}

/** A rate limit in requests per minute from the environment, or undefined for the default. */
function perMinute(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name} must be a whole number of requests per minute, got "${raw}"`);
  }
  return n;
}

/**
 * Starts the server on PORT (8787) and HOST (0.0.0.0) with its data in AISLE_DATA_DIR (./.aisle),
 * its store at AISLE_DATABASE_URL (SQLite in the data dir by default); resolves once it listens.
 */
export async function startEdge(options: EdgeOptions = {}): Promise<Edge> {
  const port = Number(process.env.PORT ?? 8787);
  const host = process.env.HOST ?? '0.0.0.0';
  const dataDir = resolve(process.env.AISLE_DATA_DIR ?? '.aisle');
  // The store, the tokens and the keys: the data dir is the operator's alone.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const storeUrl = process.env.AISLE_DATABASE_URL ?? join(dataDir, 'aisle.db');
  const storage = openStorage(storeUrl);
  const version = await storage.migrate();
  const { token, generated } = operatorToken(dataDir);
  const fromEnv = !!process.env.AISLE_OPERATOR_TOKEN?.trim();
  const modelsDir = join(dataDir, 'models');
  const app = createApp({
    storage,
    operatorToken: token,
    modelsDir,
    trustProxy: trustedHops(process.env.AISLE_TRUST_PROXY),
    clientIpHeader: process.env.AISLE_CLIENT_IP_HEADER?.trim() || undefined,
    rateLimit: {
      perClient: perMinute('AISLE_RATE_PER_CLIENT'),
      perSite: perMinute('AISLE_RATE_PER_SITE'),
      perClientAllRoutes: perMinute('AISLE_RATE_PER_CLIENT_ALL'),
    },
  });
  const store = /^postgres(ql)?:/.test(storeUrl) ? storeUrl : `sqlite:${storeUrl}`;
  const base = { app, storage, dataDir, modelsDir, store, token, port };
  await options.compose?.(base);

  const jobs: (() => void)[] = [];
  let server: ReturnType<typeof serve>;
  const stop = async () => {
    for (const j of jobs) j();
    await new Promise<void>((done) => server.close(() => done()));
    await app.stop();
    await storage.close();
  };
  const edge = await new Promise<Edge>((ready) => {
    server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
      const url = `http://localhost:${info.port}`;
      console.log(`Aisle edge server on ${url}  (${storage.kind}, schema v${version}, data in ${dataDir})`);
      console.log(`  dashboard:      ${url}/dashboard/  (sign in with the operator token)`);
      // Shown in full once, when it is made: logs are read by more people than the data dir.
      const tokenFile = join(dataDir, 'operator-token');
      console.log(
        `  operator token: ${fromEnv ? '(from AISLE_OPERATOR_TOKEN)' : generated ? `${token}  (generated now and kept in ${tokenFile}; shown this once)` : `in ${tokenFile}`}`,
      );
      console.log(`  stats:          curl -H "Authorization: Bearer $TOKEN" ${url}/v1/admin/stats`);
      ready({ ...base, url, stop });
    });
    // A request must arrive whole within this, its headers sooner: a client that sends a body a byte
    // at a time holds nothing for long (Node's default is five minutes).
    const http = server as unknown as { requestTimeout: number; headersTimeout: number };
    http.requestTimeout = REQUEST_TIMEOUT_MS;
    http.headersTimeout = HEADERS_TIMEOUT_MS;
  });
  const job = options.listening?.(edge);
  if (job) jobs.push(job);
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  return edge;
}
