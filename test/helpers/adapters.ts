/** @module test/helpers/adapters — the edge server over each storage adapter that runs here: SQLite always, PostgreSQL when reachable. */

import { openTestPostgres, postgresAvailable } from './postgres';
import { startServer, type TestServer, type TestServerOptions, tempSqlite } from './server';

export interface OpenServer {
  server: TestServer;
  close(): Promise<void>;
}

export interface ServerAdapter {
  name: 'SQLite' | 'PostgreSQL';
  open(): Promise<OpenServer>;
}

/** One entry per adapter, for `describe.each`; says so once when PostgreSQL is not there. */
export async function serverAdapters(options: TestServerOptions = {}): Promise<ServerAdapter[]> {
  const adapters: ServerAdapter[] = [
    {
      name: 'SQLite',
      async open() {
        const db = tempSqlite();
        const server = await startServer(db.storage, options);
        return {
          server,
          async close() {
            await server.close();
            db.remove();
          },
        };
      },
    },
  ];
  if (await postgresAvailable()) {
    adapters.push({
      name: 'PostgreSQL',
      async open() {
        const t = await openTestPostgres();
        const server = await startServer(t.storage, options);
        return {
          server,
          async close() {
            await server.close();
            await t.drop();
          },
        };
      },
    });
  } else console.warn('PostgreSQL is not reachable: these tests run on SQLite only');
  return adapters;
}
