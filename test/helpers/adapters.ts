/**
 * @module test/helpers/adapters — every storage adapter that runs here, for `describe.each`:
 * SQLite always (on disk; in memory too when asked), PostgreSQL when reachable, each migrated; and the edge server
 * over each. The one list tests use.
 */

import { openSqlite } from '../../edge-server/src/storage/sqlite';
import type { Storage } from '../../edge-server/src/storage/types';
import { openTestPostgres, postgresAvailable } from './postgres';
import { startServer, type TestServer, type TestServerOptions, tempSqlite } from './server';

export interface OpenStorage {
  storage: Storage;
  /** A second handle on the same database: another edge node, or a restarted process. */
  another(): Storage;
  close(): Promise<void>;
}

export interface StorageAdapter {
  name: 'SQLite' | 'SQLite in memory' | 'PostgreSQL';
  open(): Promise<OpenStorage>;
}

/** One entry per adapter; says once when PostgreSQL is not there. */
export async function storageAdapters({ memory = false } = {}): Promise<StorageAdapter[]> {
  const adapters: StorageAdapter[] = [
    {
      name: 'SQLite',
      async open() {
        const t = tempSqlite();
        const others: Storage[] = [];
        await t.storage.migrate();
        return {
          storage: t.storage,
          another: () => {
            const s = openSqlite(`${t.dir}/aisle.db`);
            others.push(s);
            return s;
          },
          close: async () => {
            await Promise.all([t.storage, ...others].map((s) => s.close()));
            t.remove();
          },
        };
      },
    },
  ];
  if (memory) {
    adapters.push({
      // No writer thread: the route's own parse, validate and insert on the main thread.
      name: 'SQLite in memory',
      async open() {
        const storage = openSqlite(':memory:');
        await storage.migrate();
        return {
          storage,
          another: () => {
            throw new Error('an in-memory database has no second handle');
          },
          close: () => storage.close(),
        };
      },
    });
  }
  if (await postgresAvailable()) {
    adapters.push({
      name: 'PostgreSQL',
      async open() {
        const t = await openTestPostgres();
        return { storage: t.storage, another: t.another, close: t.drop };
      },
    });
  } else if (!warned) {
    warned = true;
    console.warn('PostgreSQL is not reachable: these tests run on SQLite only');
  }
  return adapters;
}
let warned = false;

export interface OpenServer {
  server: TestServer;
  close(): Promise<void>;
}

export interface ServerAdapter {
  name: StorageAdapter['name'];
  open(): Promise<OpenServer>;
}

/** The edge server over each storage adapter (its storage closed with it). */
export async function serverAdapters(options: TestServerOptions = {}): Promise<ServerAdapter[]> {
  return (await storageAdapters()).map((adapter) => ({
    name: adapter.name,
    async open() {
      const opened = await adapter.open();
      const server = await startServer(opened.storage, options);
      return {
        server,
        async close() {
          await server.close();
          await opened.close();
        },
      };
    },
  }));
}
