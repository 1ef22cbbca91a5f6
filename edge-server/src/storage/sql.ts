/**
 * @module edge-server/storage/sql — the minimal SQL interface both adapters lend the stores written
 * once over it (registry, profiles, shoppers, access, webhooks, rollups): statements with `?`
 * placeholders (PostgreSQL's adapter numbers them), and a transaction on one connection.
 */
export interface Sql {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<void>;
  /** Runs `fn` in one transaction on one connection (`tx`), committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}
