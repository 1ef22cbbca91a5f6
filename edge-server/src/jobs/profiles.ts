/**
 * @module edge-server/jobs/profiles — the recurring profile job: every `hours`, each site with a
 * published profile model gets its shoppers' segments scored from what its storefront captured,
 * and their churn risk where a churn model is published too, stored with their retention actions.
 *
 * The models are the ones the registry serves the site (stable channel), written out for the
 * `aisle` CLI, which scores in a child process: scoring is CPU work the server's event loop must
 * not carry. The operator token reaches the child in its environment, never on its command line.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ModelManifest } from '@aisle/shared-models/models/manifest';
import type { Edge } from '../server';
import type { Storage } from '../storage';

export interface ProfileJobOptions {
  storage: Storage;
  /** The store as the CLI's `--from` names it (`sqlite:PATH`, `postgres://…`). */
  store: string;
  /** This server's URL and operator token: the CLI publishes the scores through the admin API. */
  server: string;
  token: string;
  /** Hours between runs. */
  hours: number;
  /** Where each site's published models are written for the CLI (a folder per site). */
  workDir: string;
  /** The `aisle` command's script; default the `@aisle/training` package's, when it is installed. */
  cli?: string;
  log?: (line: string) => void;
}

/** A PostgreSQL URL without its password, and the password (libpq and node-postgres read PGPASSWORD). */
export function splitPassword(store: string): { from: string; password?: string } {
  if (!/^postgres(ql)?:\/\//.test(store)) return { from: store };
  const url = new URL(store);
  if (!url.password) return { from: store };
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { from: url.toString(), password };
}

/** The `aisle` script next to this server, if the CLI is installed. */
function defaultCli(): string | undefined {
  try {
    // A program the job runs, not a module the server imports: the server works without it.
    return fileURLToPath(import.meta.resolve('@aisle/training/bin/aisle.mjs'));
  } catch {
    return undefined;
  }
}

/** Writes the stable channel's `name` model of `site` into `dir` as `aisle train` would; false when none is published. */
async function materialise(storage: Storage, site: string, name: 'profile' | 'churn', dir: string): Promise<boolean> {
  const channels = await storage.registry.channels(site, name);
  const serving = channels.find((c) => c.channel === 'stable') ?? channels[0];
  if (!serving) return false;
  const file = join(dir, 'manifest.json');
  if (existsSync(file) && readFileSync(file, 'utf8') === serving.manifest) return true;
  mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(serving.manifest) as ModelManifest;
  for (const shard of manifest.shards) {
    const bytes = await storage.registry.shard(shard.sha256);
    if (!bytes) throw new Error(`${site}: shard ${shard.path} of ${name} v${manifest.version} is not stored`);
    writeFileSync(join(dir, shard.path), bytes);
  }
  writeFileSync(file, serving.manifest);
  return true;
}

/** Starts the job (its first run after `hours`); returns what runs it now and what stops it. */
export function profileJob(options: ProfileJobOptions): { runOnce(): Promise<void>; stop(): void } {
  const { storage, store, server, token, hours, workDir, cli = defaultCli(), log = () => {} } = options;
  const { from, password } = splitPassword(store);
  const aisle = (...args: string[]) =>
    promisify(execFile)(process.execPath, [cli as string, ...args], {
      maxBuffer: 16 * 1024 * 1024,
      // Secrets in the environment, never on a command line (which every local user can read).
      env: { ...process.env, AISLE_OPERATOR_TOKEN: token, ...(password ? { PGPASSWORD: password } : {}) },
    });
  let busy = false;
  async function runOnce() {
    // A run that outlasts the interval is not overlapped by the next one.
    if (busy || !cli) return;
    busy = true;
    try {
      for (const { key: site } of await storage.listSites()) {
        const dir = join(workDir, site);
        if (!(await materialise(storage, site, 'profile', join(dir, 'profile')))) continue;
        const publish = ['--from', from, '--site', site, '--publish', '--server', server];
        try {
          await aisle(
            'score',
            'profile',
            '--model',
            join(dir, 'profile'),
            '--out',
            join(dir, 'profiles.jsonl'),
            ...publish,
          );
          if (await materialise(storage, site, 'churn', join(dir, 'churn'))) {
            const asOf = new Date().toISOString();
            await aisle(
              'score',
              'churn',
              '--model',
              join(dir, 'churn'),
              '--as-of',
              asOf,
              '--out',
              join(dir, 'churn.jsonl'),
              ...publish,
            );
          }
          log(`scored the shoppers of site ${site}`);
        } catch (error) {
          const line =
            ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n').at(-1) ?? '';
          // A site whose storefront has captured nobody yet has nothing to score: not worth a line.
          if (!/no events|no usable events|no user has an event/.test(line)) log(`site ${site}: ${line}`);
        }
      }
    } catch (error) {
      log(`the profile job failed: ${(error as Error).message}`);
    } finally {
      busy = false;
    }
  }
  if (!cli) log('the aisle CLI is not installed next to the server: the profile job is off');
  const timer = setInterval(() => void runOnce(), hours * 3_600_000);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}

/** The job as a server runs it: every AISLE_PROFILE_HOURS (6; 0: off), on the server's own store; its stop. */
export function startProfileJob(edge: Edge): (() => void) | undefined {
  const hours = Number(process.env.AISLE_PROFILE_HOURS ?? 6);
  if (!(hours > 0)) return undefined;
  return profileJob({
    storage: edge.storage,
    store: edge.store,
    server: edge.url.replace('//localhost:', '//127.0.0.1:'),
    token: edge.token,
    hours,
    workDir: join(edge.dataDir, 'jobs'),
    log: (line) => console.log(`  profiles:       ${line}`),
  }).stop;
}
