/**
 * @module training/commands/options — the options the `aisle` commands share, declared once as
 * data: the parser and `--help` both come from these (see `cli.ts`). A command takes the ones it
 * uses with `pick`, and adds its own beside them.
 */
import type { OptionSpec } from './command';

const SHARED = {
  events: {
    value: 'FILE',
    help: 'interchange file: CSV or NDJSON of user_id,item_id,type,ts[,session_id,price,quantity,category]',
  },
  from: { value: 'STORE', help: 'the edge store instead of a file: sqlite:PATH or postgres://… (read only)' },
  out: { value: 'PATH', help: 'where to write the result' },
  model: {
    value: 'DIR',
    help: 'a model directory as aisle train writes it (its files are checked against the manifest)',
  },
  'as-of': {
    value: 'DATE',
    help: 'the moment behaviour is read up to: ISO 8601, unix seconds or milliseconds (default: the last event)',
  },
  seed: { value: 'S', help: 'seed of shuffles, splits and initialisers: the same seed, the same model' },
  epochs: { value: 'N', help: 'at most N epochs per fit (stops early on validation loss)' },
  backend: { value: 'NAME', help: 'TensorFlow.js backend: wasm or cpu', default: 'wasm' },
  k: { value: 'N', help: 'cut-off: how many items, or segments' },
  site: { value: 'SITE', help: 'the site key (with --from, only its events are read)' },
  server: { value: 'URL', help: 'the edge server, for example http://localhost:8787' },
  token: {
    value: 'TOKEN',
    help: 'the operator token (default: $AISLE_OPERATOR_TOKEN, which keeps it off the command line)',
  },
  publish: { help: 'also store the results on the edge server for --site (profiles, retention actions)' },
  recommender: { value: 'DIR', help: 'a recommender (aisle train recommender) for the taste facet of profiles' },
  table: { value: 'FILE', help: 'a customer table: CSV with a header row, blanks allowed' },
  id: { value: 'COLUMN', help: 'the column that identifies each row (not a feature)' },
  label: { value: 'COLUMN', help: 'the column saying who churned (two values)' },
  key: { value: 'FILE', help: 'the private signing key (PKCS #8 PEM, as aisle keys generate writes it)' },
  channel: { value: 'NAME', help: 'stable or canary', default: 'stable' },
} satisfies Record<string, OptionSpec>;

export type SharedOption = keyof typeof SHARED;

/** The shared options `names`, as a command declares them. */
export const pick = (...names: SharedOption[]): Record<string, OptionSpec> =>
  Object.fromEntries(names.map((n) => [n, SHARED[n]]));

/** What every command that calls the edge server takes. */
export const SERVER: SharedOption[] = ['server', 'token'];
/** What every scoring command that can store its results on the server takes. */
export const PUBLISH: SharedOption[] = ['publish', 'site', ...SERVER];
