/**
 * @module shared-models/models/manifest — the manifest every exported model carries: what it is,
 * which version, how its inputs are encoded, how good it is, and the SHA-256 of each weight shard.
 * The signature (its own issue) is added over this same object.
 */
import { z } from 'zod';
import { sha256Hex } from '../schema/ids';

/** A shard's content address; one hash function for the whole project (see `schema/ids`). */
export { sha256Hex };

export const MANIFEST_VERSION = 1;

/** Every kind of model the registry holds (the catalogue is published and verified as one). */
export const MODEL_NAMES = ['recommender', 'anomaly', 'profile', 'churn', 'catalog'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface Shard {
  /** File name next to the manifest (`model.json`, `weights.bin`). */
  path: string;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
  size: number;
}

export interface ModelManifest {
  manifest_version: typeof MANIFEST_VERSION;
  name: ModelName;
  /** Only ever goes up: a device refuses a lower one. */
  version: number;
  /** Version of the feature encoding the model expects. */
  feature_schema_version: number;
  created_at: string;
  shards: Shard[];
  metrics: Record<string, unknown>;
  /** The shop the model was published for (signed with it, so a manifest cannot move to another shop). */
  site?: string;
  /** When the operator signed it: a device refuses one older than the newest it has seen (a replay). */
  signed_at?: string;
  /** An explicit, signed rollback: this older version deliberately replaces `from`. */
  rollback?: { from: number };
  /** Which registered key signed it (the first 16 hex digits of the SHA-256 of its SPKI bytes). */
  key_id?: string;
  /** Ed25519 over the UTF-8 bytes of this manifest without `signature`, as RFC 8785 canonical JSON; base64. */
  signature?: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

export const ShardSchema = z.strictObject({
  path: z.string().min(1).max(200),
  sha256: z.string().regex(SHA256),
  size: z.number().int().min(0),
});

/**
 * The manifest's common fields as Zod parses them, wherever a manifest comes in (the registry's
 * publish route, the device's download, the trainer's directory). Loose: each model adds its own
 * fields (`config`, `vocab`, `tabular`…), which its decoder checks.
 */
export const ModelManifestSchema = z.looseObject({
  manifest_version: z.literal(MANIFEST_VERSION),
  name: z.enum(MODEL_NAMES),
  version: z.number().int().min(1),
  feature_schema_version: z.number().int().min(0),
  created_at: z.string().min(1).max(64),
  shards: z.array(ShardSchema).min(1).max(100),
  metrics: z.record(z.string(), z.unknown()),
  site: z.string().min(1).max(64).optional(),
  signed_at: z.iso.datetime().optional(),
  rollback: z.strictObject({ from: z.number().int().min(1) }).optional(),
  key_id: z.string().max(64).optional(),
  signature: z.string().min(1).max(200).optional(),
});

/** What the schema yields is a `ModelManifest` (checked by the compiler, not by a cast). */
const fits: (parsed: z.infer<typeof ModelManifestSchema>) => ModelManifest = (parsed) => parsed;
void fits;

/**
 * `value` as a manifest (of model `name`, when given); a `ManifestError` naming the first field
 * that is wrong otherwise.
 */
export function parseManifest<M extends ModelManifest = ModelManifest>(value: unknown, name?: ModelName): M {
  const parsed = ModelManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(`manifest field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (name && parsed.data.name !== name) throw new ManifestError(`holds a ${parsed.data.name} model, not ${name}`);
  return parsed.data as M;
}

/** Thrown when a model's files do not match its manifest: such a model is never loaded. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/**
 * Checks every shard against the manifest before a model is built from it: its size and its
 * SHA-256. `verifyModel` (./signing) puts the signature check in front of it.
 */
/**
 * The shards a device fetches: all but the edge's own (a head recommender's candidate table, which
 * the edge answers from one product at a time).
 */
export function deviceShards(manifest: ModelManifest): Shard[] {
  const edgeOnly = (manifest as { head?: { shard?: unknown } }).head?.shard;
  return manifest.shards.filter((s) => s.path !== edgeOnly);
}

export async function verifyShards(manifest: ModelManifest, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  if (manifest.manifest_version !== MANIFEST_VERSION) {
    throw new ManifestError(`manifest version ${manifest.manifest_version} is not ${MANIFEST_VERSION}`);
  }
  const device = new Set(deviceShards(manifest));
  for (const shard of manifest.shards) {
    const bytes = files.get(shard.path);
    // The edge's own file (a head recommender's candidate table) is checked where it is read.
    if (!bytes && !device.has(shard)) continue;
    if (!bytes) throw new ManifestError(`shard ${shard.path} is missing`);
    if (bytes.byteLength !== shard.size) {
      throw new ManifestError(`shard ${shard.path} has ${bytes.byteLength} bytes, the manifest says ${shard.size}`);
    }
    const actual = await sha256Hex(bytes);
    if (actual !== shard.sha256) throw new ManifestError(`shard ${shard.path} does not match its SHA-256`);
  }
}
