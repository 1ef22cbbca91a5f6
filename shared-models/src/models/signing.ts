/**
 * @module shared-models/models/signing — what a model's signature covers and how anyone checks it:
 * Ed25519 over the UTF-8 bytes of the manifest without its `signature` field, serialised as RFC
 * 8785 canonical JSON. WebCrypto only, so the edge (Node) and the device (the inference worker)
 * run the same check, and the operator signs the same way wherever the private key is: `aisle
 * publish` and `aisle rollback` in Node, a rollback from the dashboard in the operator's browser.
 */
import canonicalize from 'canonicalize';
import { ManifestError, type ModelManifest, verifyShards } from './manifest';

/** A WebCrypto key (named through the API: Node has no global `CryptoKey` type). */
type Key = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const utf8 = new TextEncoder();

/** The bytes a manifest's signature is over. */
export function signedBytes(manifest: ModelManifest): Uint8Array<ArrayBuffer> {
  const { signature: _, ...rest } = manifest;
  return utf8.encode(canonicalize(rest) ?? '') as Uint8Array<ArrayBuffer>;
}

const fromBase64 = (b64: string): Uint8Array<ArrayBuffer> => {
  const raw = atob(b64.replace(/\s+/g, ''));
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
};

/**
 * A public key as registered and pinned: base64 of its SPKI bytes — the body of the `.pub` PEM file
 * without its armour. A whole PEM is accepted too.
 */
export function spkiBytes(key: string): Uint8Array<ArrayBuffer> {
  return fromBase64(key.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, ''));
}

/** A key's id: the first 16 hex digits of the SHA-256 of its SPKI bytes. */
export async function keyId(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', spkiBytes(key)));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks `manifest.signature` against each of `keys` (see `spkiBytes`); resolves to the id of the
 * key that signed it. A missing, malformed or wrong signature is a `ManifestError`: such a
 * manifest is never served, cached or loaded.
 */
export async function verifySignature(manifest: ModelManifest, keys: readonly string[]): Promise<string> {
  if (!manifest.signature) throw new ManifestError(`${manifest.name} v${manifest.version} is not signed`);
  let signature: Uint8Array<ArrayBuffer>;
  try {
    signature = fromBase64(manifest.signature);
  } catch {
    throw new ManifestError(`${manifest.name} v${manifest.version}: the signature is not base64`);
  }
  const bytes = signedBytes(manifest);
  for (const key of keys) {
    let publicKey: Key;
    try {
      publicKey = await crypto.subtle.importKey('spki', spkiBytes(key), { name: 'Ed25519' }, false, ['verify']);
    } catch {
      continue; // not an Ed25519 public key: it verifies nothing
    }
    if (await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, signature, bytes)) return keyId(key);
  }
  throw new ManifestError(
    `${manifest.name} v${manifest.version}: the signature does not verify against ${keys.length === 1 ? 'the pinned key' : `any of ${keys.length} keys`}`,
  );
}

/**
 * The one check a model passes before it is built: its signature against `keys` when there are
 * any (the device's pinned key), then every shard's size and SHA-256. Resolves to the signer's key id.
 */
export async function verifyModel(
  manifest: ModelManifest,
  files: ReadonlyMap<string, Uint8Array>,
  keys: readonly string[] = [],
): Promise<string | undefined> {
  const signer = keys.length ? await verifySignature(manifest, keys) : undefined;
  await verifyShards(manifest, files);
  return signer;
}

/** Ed25519 SPKI: this DER prefix, then the 32-byte public key. */
const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64Url = (s: string) =>
  fromBase64(
    s
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(s.length / 4) * 4, '='),
  );

/**
 * Signs `manifest` for `site` with an Ed25519 private key (PKCS#8 PEM, as `aisle keys generate`
 * writes it): sets `site`, `signed_at` and `key_id` (of the matching public key), then the
 * signature. A key that is not an Ed25519 private key is a `ManifestError`.
 */
export async function signManifest(
  manifest: ModelManifest,
  privatePem: string,
  site: string,
  signedAt = new Date(),
): Promise<ModelManifest> {
  let key: Key;
  let publicKey: string;
  try {
    const der = fromBase64(privatePem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, ''));
    key = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
    const { x } = await crypto.subtle.exportKey('jwk', key);
    publicKey = toBase64(new Uint8Array([...SPKI_PREFIX, ...fromBase64Url(x ?? '')]));
  } catch {
    throw new ManifestError('the signing key is not an Ed25519 private key (PKCS#8 PEM)');
  }
  const { signature: _, ...unsigned } = manifest;
  const ready: ModelManifest = { ...unsigned, site, signed_at: signedAt.toISOString(), key_id: await keyId(publicKey) };
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, signedBytes(ready)));
  return { ...ready, signature: toBase64(signature) };
}

/** Bytes as a PEM block of `label` (64 characters a line). */
const pem = (label: string, bytes: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(toBase64(bytes).match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/**
 * A new Ed25519 signing key pair as PEM: PKCS #8 private (it signs; keep it secret) and SPKI public
 * (register it, pin it on the tag). WebCrypto, so the CLI, the demo and a browser make the same.
 */
export async function generateSigningKey(): Promise<{ privatePem: string; publicPem: string }> {
  // An Ed25519 generation always makes a pair (the DOM's type says so; Node's allows a single key).
  const { privateKey, publicKey } = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as {
    privateKey: Key;
    publicKey: Key;
  };
  return {
    privatePem: pem('PRIVATE KEY', new Uint8Array(await crypto.subtle.exportKey('pkcs8', privateKey))),
    publicPem: pem('PUBLIC KEY', new Uint8Array(await crypto.subtle.exportKey('spki', publicKey))),
  };
}

/** The base64 SPKI body of a public PEM: what `data-key` on the tag and the server's key list hold. */
export const publicKeyBase64 = (publicPem: string) => publicPem.replace(/-----(BEGIN|END) PUBLIC KEY-----|\s+/g, '');
