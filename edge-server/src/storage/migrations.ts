/** @module edge-server/storage/migrations — versioned schema changes, applied in order, once. */

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Flags by session (as first added, by session id alone; superseded by RISK_FLAGS_BY_SHOPPER_SESSION). */
const RISK_FLAGS_BY_SESSION = ['CREATE INDEX risk_flags_site_session ON risk_flags (site, session_id)'];
/**
 * The Risk page labels a shopper's session, every flag of it at once, and finds them by it (a
 * session id is only the shopper's with their anonymous id). Flags labelled one by one before keep
 * one word per session: the latest given.
 */
const RISK_FLAGS_BY_SHOPPER_SESSION = [
  'DROP INDEX risk_flags_site_session',
  'CREATE INDEX risk_flags_site_shopper_session ON risk_flags (site, anonymous_id, session_id)',
  `UPDATE risk_flags SET
     label = (SELECT r.label FROM risk_flags r WHERE r.site = risk_flags.site AND r.anonymous_id = risk_flags.anonymous_id
              AND r.session_id = risk_flags.session_id AND r.labelled_at IS NOT NULL ORDER BY r.labelled_at DESC LIMIT 1),
     labelled_at = (SELECT MAX(r.labelled_at) FROM risk_flags r WHERE r.site = risk_flags.site
              AND r.anonymous_id = risk_flags.anonymous_id AND r.session_id = risk_flags.session_id)
   WHERE EXISTS (SELECT 1 FROM risk_flags r WHERE r.site = risk_flags.site AND r.anonymous_id = risk_flags.anonymous_id
              AND r.session_id = risk_flags.session_id AND r.labelled_at IS NOT NULL)`,
];

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events and sites',
    statements: [
      `CREATE TABLE sites (
        key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        origins TEXT NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      // seq gives a stable export order and cursor; event_id is the deduplication key.
      `CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        site TEXT NOT NULL,
        type TEXT NOT NULL,
        ts INTEGER NOT NULL,
        anonymous_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        user_id TEXT,
        received_at INTEGER NOT NULL,
        payload TEXT NOT NULL
      )`,
      'CREATE INDEX events_site_ts ON events (site, ts)',
      'CREATE INDEX events_anonymous ON events (anonymous_id)',
      'CREATE INDEX events_user ON events (user_id) WHERE user_id IS NOT NULL',
    ],
  },
  {
    version: 2,
    name: 'one shopper index per site; payload without the columns',
    // Every index costs each insert a B-tree write. Reads go by seq (export), by shopper (what the
    // server holds about a shopper, erasure) and by user; a time range scans seq order, which
    // follows arrival. Payloads written from now on hold only the fields that have no column;
    // older rows hold the whole event, and reading merges columns and payload either way.
    statements: [
      'DROP INDEX events_site_ts',
      'DROP INDEX events_anonymous',
      'CREATE INDEX events_site_anonymous ON events (site, anonymous_id)',
    ],
  },
  {
    version: 3,
    name: 'model registry: signing keys, shards, versions, channels, audit log',
    statements: registryTables({ text: 'TEXT', int: 'INTEGER', bytes: 'BLOB', serial: 'INTEGER PRIMARY KEY' }),
  },
  {
    version: 4,
    name: 'profiles, churn scores and retention policies',
    statements: profileTables({ text: 'TEXT', int: 'INTEGER', real: 'REAL' }),
  },
  {
    version: 5,
    name: 'webhooks and their deliveries',
    statements: webhookTables({ text: 'TEXT', int: 'INTEGER', real: 'REAL' }),
  },
  {
    version: 6,
    name: 'devices a shopper reads and erases their data from',
    statements: deviceTables('TEXT', 'INTEGER'),
  },
  {
    version: 7,
    name: 'dashboard: read-only tokens, event rollups, risk flags and labels, consent counts, scoring runs',
    statements: dashboardTables({ text: 'TEXT', int: 'INTEGER', real: 'REAL' }),
  },
  {
    version: 8,
    name: 'identities: anonymous ids proven by the device secret, user ids by the merchant',
    statements: identityTables('TEXT', 'INTEGER'),
  },
  {
    version: 9,
    name: 'event ids in lower case, as UUIDs compare (an upper-case copy of a stored id is the same event)',
    statements: [
      // Copies of an event already held in lower case go; of several other-case copies, the first stays.
      `DELETE FROM events WHERE event_id <> lower(event_id)
         AND lower(event_id) IN (SELECT event_id FROM events WHERE event_id = lower(event_id))`,
      `DELETE FROM events WHERE event_id <> lower(event_id) AND seq NOT IN
         (SELECT MIN(seq) FROM events WHERE event_id <> lower(event_id) GROUP BY lower(event_id))`,
      'UPDATE events SET event_id = lower(event_id) WHERE event_id <> lower(event_id)',
    ],
  },
  {
    version: 10,
    name: "each customer's expected orders and spend over the next days, and their chance of still being active",
    statements: valueColumns('INTEGER', 'REAL'),
  },
  {
    version: 11,
    name: 'risk flags by session: a label is set on the whole session',
    statements: RISK_FLAGS_BY_SESSION,
  },
  {
    version: 12,
    name: "risk flags by shopper and session: one shopper's session, one label",
    statements: RISK_FLAGS_BY_SHOPPER_SESSION,
  },
];

/** Hash partitions of the PostgreSQL events table: writes spread evenly, and the primary key stays `event_id` alone. */
export const PG_EVENT_PARTITIONS = 8;

export const PG_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events and sites',
    statements: [
      `CREATE TABLE sites (
        key text PRIMARY KEY,
        name text NOT NULL,
        origins jsonb NOT NULL,
        created_at bigint NOT NULL
      )`,
      // Partitioned by hash of event_id rather than by time: PostgreSQL requires the partition key
      // in every unique constraint, and deduplication must hold on event_id alone.
      `CREATE TABLE events (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        event_id uuid NOT NULL,
        site text NOT NULL,
        type text NOT NULL,
        ts bigint NOT NULL,
        anonymous_id text NOT NULL,
        session_id text NOT NULL,
        user_id text,
        received_at bigint NOT NULL,
        payload jsonb NOT NULL,
        PRIMARY KEY (event_id)
      ) PARTITION BY HASH (event_id)`,
      ...Array.from(
        { length: PG_EVENT_PARTITIONS },
        (_, i) =>
          `CREATE TABLE events_p${i} PARTITION OF events FOR VALUES WITH (MODULUS ${PG_EVENT_PARTITIONS}, REMAINDER ${i})`,
      ),
      'CREATE INDEX events_seq ON events (seq)',
      'CREATE INDEX events_site_ts ON events (site, ts)',
      'CREATE INDEX events_anonymous ON events (anonymous_id)',
      'CREATE INDEX events_user ON events (user_id) WHERE user_id IS NOT NULL',
      `CREATE UNLOGGED TABLE rate_limits (
        key text NOT NULL,
        window_start bigint NOT NULL,
        hits integer NOT NULL,
        PRIMARY KEY (key, window_start)
      )`,
    ],
  },
  {
    version: 2,
    name: 'model registry: signing keys, shards, versions, channels, audit log',
    statements: registryTables({
      text: 'text',
      int: 'bigint',
      bytes: 'bytea',
      serial: 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
    }),
  },
  {
    version: 3,
    name: 'profiles, churn scores and retention policies',
    statements: profileTables({ text: 'text', int: 'bigint', real: 'double precision' }),
  },
  {
    version: 4,
    name: 'webhooks and their deliveries',
    statements: webhookTables({ text: 'text', int: 'bigint', real: 'double precision' }),
  },
  {
    version: 5,
    name: 'devices a shopper reads and erases their data from',
    statements: deviceTables('text', 'bigint'),
  },
  {
    version: 6,
    name: 'dashboard: read-only tokens, event rollups, risk flags and labels, consent counts, scoring runs',
    statements: dashboardTables({ text: 'text', int: 'bigint', real: 'double precision' }),
  },
  {
    version: 7,
    name: 'identities: anonymous ids proven by the device secret, user ids by the merchant',
    statements: identityTables('text', 'bigint'),
  },
  {
    version: 8,
    name: "each customer's expected orders and spend over the next days, and their chance of still being active",
    statements: valueColumns('bigint', 'double precision'),
  },
  {
    version: 9,
    name: 'risk flags by session: a label is set on the whole session',
    statements: RISK_FLAGS_BY_SESSION,
  },
  {
    version: 10,
    name: "risk flags by shopper and session: one shopper's session, one label",
    statements: RISK_FLAGS_BY_SHOPPER_SESSION,
  },
];

/** The churn job's customer-value forecast beside each profile's churn risk (null where the model has none). */
function valueColumns(int: string, real: string): string[] {
  return [
    `ALTER TABLE profiles ADD COLUMN value_days ${int}`,
    `ALTER TABLE profiles ADD COLUMN value_orders ${real}`,
    `ALTER TABLE profiles ADD COLUMN value_spend ${real}`,
    `ALTER TABLE profiles ADD COLUMN value_active ${real}`,
    // The list by expected spend (profiles' `sort=value`), a page at a time without sorting the site.
    'CREATE INDEX profiles_site_value ON profiles (site, (COALESCE(value_spend, -1)) DESC, user_id)',
  ];
}

/**
 * What the dashboard reads instead of the events table: aggregates kept up to date from the
 * events after a watermark (`rollup_state`), so its pages cost the same on a million events as on
 * a thousand. Days are whole UTC days since the epoch. Session steps are bits (see rollups.ts).
 */
function dashboardTables(t: { text: string; int: string; real: string }): string[] {
  return [
    `CREATE TABLE access_tokens (
      token_hash ${t.text} PRIMARY KEY,
      site ${t.text} NOT NULL,
      name ${t.text} NOT NULL,
      role ${t.text} NOT NULL,
      created_at ${t.int} NOT NULL
    )`,
    `CREATE TABLE rollup_state (
      id ${t.text} PRIMARY KEY,
      seq ${t.int} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
    `INSERT INTO rollup_state (id, seq, updated_at) VALUES ('events', 0, 0)`,
    `CREATE TABLE rollup_daily (
      site ${t.text} NOT NULL,
      day ${t.int} NOT NULL,
      type ${t.text} NOT NULL,
      currency ${t.text} NOT NULL,
      events ${t.int} NOT NULL,
      value ${t.real} NOT NULL,
      PRIMARY KEY (site, day, type, currency)
    )`,
    `CREATE TABLE rollup_shoppers (
      site ${t.text} NOT NULL,
      day ${t.int} NOT NULL,
      anonymous_id ${t.text} NOT NULL,
      PRIMARY KEY (site, day, anonymous_id)
    )`,
    `CREATE TABLE rollup_sessions (
      site ${t.text} NOT NULL,
      session_id ${t.text} NOT NULL,
      anonymous_id ${t.text} NOT NULL,
      day ${t.int} NOT NULL,
      steps ${t.int} NOT NULL,
      grp ${t.text},
      PRIMARY KEY (site, session_id)
    )`,
    'CREATE INDEX rollup_sessions_day ON rollup_sessions (site, day)',
    `CREATE TABLE rollup_recs (
      site ${t.text} NOT NULL,
      day ${t.int} NOT NULL,
      model_version ${t.text} NOT NULL,
      backend ${t.text} NOT NULL,
      impressions ${t.int} NOT NULL,
      clicks ${t.int} NOT NULL,
      purchases ${t.int} NOT NULL,
      PRIMARY KEY (site, day, model_version, backend)
    )`,
    `CREATE TABLE rec_clicks (
      site ${t.text} NOT NULL,
      session_id ${t.text} NOT NULL,
      item_id ${t.text} NOT NULL,
      model_version ${t.text} NOT NULL,
      backend ${t.text} NOT NULL,
      PRIMARY KEY (site, session_id, item_id)
    )`,
    `CREATE TABLE risk_flags (
      event_id ${t.text} PRIMARY KEY,
      site ${t.text} NOT NULL,
      session_id ${t.text} NOT NULL,
      anonymous_id ${t.text} NOT NULL,
      ts ${t.int} NOT NULL,
      score ${t.real} NOT NULL,
      reasons ${t.text} NOT NULL,
      model_version ${t.text} NOT NULL,
      label ${t.text},
      labelled_at ${t.int}
    )`,
    'CREATE INDEX risk_flags_site_ts ON risk_flags (site, ts)',
    `CREATE TABLE consent_counts (
      site ${t.text} NOT NULL,
      day ${t.int} NOT NULL,
      analytics ${t.int} NOT NULL,
      personalization ${t.int} NOT NULL,
      n ${t.int} NOT NULL,
      PRIMARY KEY (site, day, analytics, personalization)
    )`,
    `CREATE TABLE score_runs (
      site ${t.text} NOT NULL,
      kind ${t.text} NOT NULL,
      at ${t.int} NOT NULL,
      summary ${t.text} NOT NULL,
      PRIMARY KEY (site, kind, at)
    )`,
  ];
}

/** A browser's secret (as its SHA-256) and the anonymous ids it used: who may read or erase what. */
function deviceTables(text: string, int: string): string[] {
  return [
    `CREATE TABLE devices (
      site ${text} NOT NULL,
      anonymous_id ${text} NOT NULL,
      device_hash ${text} NOT NULL,
      created_at ${int} NOT NULL,
      PRIMARY KEY (site, anonymous_id)
    )`,
    'CREATE INDEX devices_hash ON devices (site, device_hash)',
  ];
}

/**
 * Who may read and erase what, from migration 8 on. An anonymous id is derived from the device's
 * secret, so the secret proves it and nothing is stored for it. `devices`, where the first browser
 * to ask got an anonymous id, becomes `legacy_devices`: those bindings are still honoured for the
 * browsers that made them (their shoppers can read and erase what they sent before), and no new
 * one is ever made. A user id is linked to a device only with the merchant's proof (an HMAC under
 * the site's identity secret, kept here).
 */
function identityTables(text: string, int: string): string[] {
  return [
    'ALTER TABLE devices RENAME TO legacy_devices',
    `CREATE TABLE identity_secrets (
      site ${text} PRIMARY KEY,
      secret ${text} NOT NULL,
      created_at ${int} NOT NULL
    )`,
    `CREATE TABLE identities (
      site ${text} NOT NULL,
      device_hash ${text} NOT NULL,
      user_id ${text} NOT NULL,
      created_at ${int} NOT NULL,
      PRIMARY KEY (site, device_hash, user_id)
    )`,
  ];
}

/** Merchants' CRM endpoints, and every push to them, kept until delivered or given up (so retries survive a restart). */
function webhookTables(t: { text: string; int: string; real: string }): string[] {
  return [
    `CREATE TABLE webhooks (
      id ${t.text} PRIMARY KEY,
      site ${t.text} NOT NULL,
      url ${t.text} NOT NULL,
      secret ${t.text} NOT NULL,
      min_churn ${t.real} NOT NULL,
      created_at ${t.int} NOT NULL
    )`,
    `CREATE TABLE webhook_deliveries (
      id ${t.text} PRIMARY KEY,
      webhook_id ${t.text} NOT NULL,
      body ${t.text} NOT NULL,
      status ${t.text} NOT NULL,
      attempts ${t.int} NOT NULL,
      next_at ${t.int} NOT NULL,
      last_error ${t.text},
      created_at ${t.int} NOT NULL,
      done_at ${t.int}
    )`,
    'CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at)',
  ];
}

/** A row per shopper and site: the latest segment and churn scores (each written by its own job), keyed for cursors. */
function profileTables(t: { text: string; int: string; real: string }): string[] {
  return [
    `CREATE TABLE profiles (
      site ${t.text} NOT NULL,
      user_id ${t.text} NOT NULL,
      segment_name ${t.text},
      tags ${t.text} NOT NULL DEFAULT '[]',
      churn ${t.real},
      churn_flagged ${t.int},
      reasons ${t.text} NOT NULL DEFAULT '[]',
      segment_at ${t.int},
      churn_at ${t.int},
      PRIMARY KEY (site, user_id)
    )`,
    `CREATE TABLE retention_policies (
      site ${t.text} PRIMARY KEY,
      rules ${t.text} NOT NULL,
      updated_at ${t.int} NOT NULL
    )`,
  ];
}

/**
 * The registry's tables, the same in both adapters but for type names. Every version stays;
 * a channel points at the manifest devices get (a rollback's is re-signed, so it is kept whole).
 */
function registryTables(t: { text: string; int: string; bytes: string; serial: string }): string[] {
  return [
    `CREATE TABLE signing_keys (
      site ${t.text} NOT NULL,
      key_id ${t.text} NOT NULL,
      public_key ${t.text} NOT NULL,
      created_at ${t.int} NOT NULL,
      PRIMARY KEY (site, key_id)
    )`,
    `CREATE TABLE model_shards (
      sha256 ${t.text} PRIMARY KEY,
      size ${t.int} NOT NULL,
      bytes ${t.bytes} NOT NULL,
      created_at ${t.int} NOT NULL
    )`,
    `CREATE TABLE model_versions (
      site ${t.text} NOT NULL,
      name ${t.text} NOT NULL,
      version ${t.int} NOT NULL,
      manifest ${t.text} NOT NULL,
      created_at ${t.int} NOT NULL,
      PRIMARY KEY (site, name, version)
    )`,
    `CREATE TABLE model_channels (
      site ${t.text} NOT NULL,
      name ${t.text} NOT NULL,
      channel ${t.text} NOT NULL,
      version ${t.int} NOT NULL,
      rollout ${t.int} NOT NULL,
      manifest ${t.text} NOT NULL,
      updated_at ${t.int} NOT NULL,
      PRIMARY KEY (site, name, channel)
    )`,
    `CREATE TABLE registry_audit (
      seq ${t.serial},
      at ${t.int} NOT NULL,
      site ${t.text} NOT NULL,
      action ${t.text} NOT NULL,
      name ${t.text},
      version ${t.int},
      detail ${t.text} NOT NULL
    )`,
  ];
}
