/**
 * @module shared-models/platform — the few Web platform globals that browsers and Node (20 and
 * later) both give, declared for this package's own compilation: it sees neither the DOM's types
 * nor Node's, so nothing here can reach for `document`, `window`, `fs` or `Buffer` without a
 * compiler error. Other packages compile these sources with their own (DOM or Node) declarations.
 */

type BufferSource = ArrayBufferView<ArrayBuffer> | ArrayBuffer;

interface CryptoKey {
  readonly type: string;
  readonly extractable: boolean;
  readonly algorithm: { name: string };
  readonly usages: string[];
}

interface CryptoKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

interface JsonWebKey {
  kty?: string;
  crv?: string;
  x?: string;
  d?: string;
}

interface SubtleCrypto {
  digest(algorithm: string | { name: string }, data: BufferSource): Promise<ArrayBuffer>;
  importKey(
    format: 'spki' | 'pkcs8' | 'raw',
    keyData: BufferSource,
    algorithm: { name: string },
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  importKey(
    format: 'jwk',
    keyData: JsonWebKey,
    algorithm: { name: string },
    extractable: boolean,
    usages: string[],
  ): Promise<CryptoKey>;
  exportKey(format: 'jwk', key: CryptoKey): Promise<JsonWebKey>;
  exportKey(format: 'spki' | 'pkcs8' | 'raw', key: CryptoKey): Promise<ArrayBuffer>;
  generateKey(algorithm: { name: string }, extractable: boolean, usages: string[]): Promise<CryptoKeyPair>;
  sign(algorithm: { name: string }, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  verify(algorithm: { name: string }, key: CryptoKey, signature: BufferSource, data: BufferSource): Promise<boolean>;
}

interface Crypto {
  readonly subtle: SubtleCrypto;
  getRandomValues<T extends ArrayBufferView>(array: T): T;
}

declare var crypto: Crypto;

declare class TextEncoder {
  encode(input?: string): Uint8Array<ArrayBuffer>;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBufferLike): string;
}

declare function btoa(data: string): string;
declare function atob(data: string): string;
