/** @module ext/messages — what the extension's parts say to each other (runtime messages and port names). */
import type { RecommendResult } from '../infer/protocol';

export type ToBackground =
  | { type: 'ensure-offscreen' }
  | { type: 'enable'; origin: string }
  | { type: 'pause'; origin: string; paused: boolean }
  | { type: 'paused-origins' }
  | { type: 'inspect'; events: InspectedEvent[] };

export type ToOffscreen = { type: 'paused'; origins: string[] };

/** Asked of a store's content script by the popup. */
export type ToContent = { type: 'page' };
export interface PageInfo {
  origin: string;
  /** The tag's site key and where it sends events, when the page carries the tag. */
  site: string | null;
  endpoint: string | null;
  /** Whether the tag handed capture to the extension. */
  connected: boolean;
  recommendations: RecommendResult | null;
}

/** An event the tag captured, as the inspector shows it: with the shared schema's verdict. */
export interface InspectedEvent {
  event: Record<string, unknown>;
  errors: { path: string; message: string }[];
  at: number;
}

/** Ports: the content script's two relays to the offscreen host, and an inspector following a tab. */
export const PORT = { sync: 'aisle-sync', infer: 'aisle-infer', inspector: 'aisle-inspector:' } as const;

/** The id of a store's registered content script. */
export const scriptId = (origin: string) => `aisle-${origin.replace(/[^A-Za-z0-9]/g, '_')}`;

/** A request the host asks a store's content script to make from the store's page, and its answer. */
export interface FetchRequest {
  id: number;
  url: string;
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
}
export interface FetchReply {
  id: number;
  status?: number;
  body?: string;
  retryAfter?: string;
  error?: string;
}
