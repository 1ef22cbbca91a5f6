/** @module infer/protocol — what the page and the inference worker say to each other. */
import type { HistoryEvent, Recommendation, RecommendRules } from '@aisle/shared-models/models/recommender';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface InferConfig {
  endpoint: string;
  /** A backend the merchant (or a test) insists on; otherwise the worker chooses. */
  backend?: BackendName;
  /** Score (0–1) from which a session is risky; default the anomaly model's own flag_at. */
  riskThreshold?: number;
  /** Whether the browser reports automation (`navigator.webdriver`), read on the page. */
  webdriver?: boolean;
  /** The site key: the edge serves this site's published models. */
  site?: string;
  /** The pinned public key (`data-key`, base64 SPKI): models must be signed by it. */
  key?: string;
  /** The shopper's rollout bucket (0–99, a stable hash of the anonymous id), for canary channels. */
  bucket?: number;
}

export interface ModelStatus {
  version: number;
  loadedFrom: 'network' | 'cache';
  /** The id of the pinned key whose signature it carries; absent without a pinned key. */
  signedBy?: string;
  /** A head recommender: the items it holds of the whole model's; the edge answers for the rest. */
  head?: { items: number; of: number };
}

export interface InferStatus {
  backend: BackendName | null;
  /** How the backend was chosen, and what calibration measured (ms per inference) where it ran. */
  backendChoice?: {
    /** `first-visit`: nothing remembered yet, so wasm (else CPU) at once; calibration runs after the first recommendation. */
    how: 'forced' | 'hardware-gpu' | 'calibrated' | 'remembered' | 'first-visit' | 'fallback';
    timings?: Record<string, number>;
    /** Backends that would not start here (told once at debug level, never as a warning: the device simply lacks them). */
    unavailable?: BackendName[];
  };
  models: { recommender?: ModelStatus; anomaly?: ModelStatus };
  catalog?: { items: number; loadedFrom: 'network' | 'cache' };
  lastInferenceMs?: number;
  /** What the calibration after a first visit's first recommendation measured, and chose for the next page. */
  calibration?: { backend: BackendName | null; timings?: Record<string, number> };
  /**
   * Where the worker's start went, in ms from the engine's creation: models (and catalogue) at hand,
   * backend running, models decoded onto it, first run through each done (the engine ready).
   */
  startup?: { models: number; backend: number; decoded: number; ready: number };
  /** Models refused or unreachable, for the inspector. */
  problems: string[];
}

/** What the page asks for and gets: the shared serving code's own shapes. */
export type { HistoryEvent, Recommendation, RecommendRules };

export interface RecommendResult {
  items: Recommendation[];
  model_version: number | null;
  /** Where it ran: a backend of this device, or `edge` (a first visit's first page, before the device has a model). */
  backend: BackendName | 'edge' | null;
  /** Cold start: no history the model knows, so the popular items of the context. */
  cold: boolean;
  ms: number;
}

export interface RiskResult {
  score: number;
  flagged: boolean;
  threshold: number;
  reasons: { feature: string; value: string }[];
  model_version: number | null;
  ms: number;
}

/** The inference host's API, as the page calls it over the shared RPC (`init` first). */
export type InferApi = {
  /** Answers as soon as the worker's script has run: it started (models may take long to download after that). */
  ping(): Promise<true>;
  init(config: InferConfig): Promise<InferStatus>;
  recommend(history: HistoryEvent[], rules: RecommendRules): Promise<RecommendResult>;
  risk(session: HistoryEvent[]): Promise<RiskResult>;
  status(): Promise<InferStatus>;
  /** Benchmarks only: one bare [1 × dim] · [dim × items] product on the current backend, read back. */
  floor(items: number, dim: number): Promise<void>;
  /**
   * Times every backend that starts here and remembers the fastest for the next page. Asked of a
   * worker of its own, never of the one serving (it switches TF.js's backend under it).
   */
  calibrate(
    config: Pick<InferConfig, 'endpoint'>,
  ): Promise<NonNullable<InferStatus['backendChoice']> & { backend: BackendName | null }>;
};
