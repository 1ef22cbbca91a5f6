/**
 * @module sync/protocol — what the page and the engine's host say besides calls and answers, and
 * which engine methods a page may call: small, so the storefront script that connects to the engine
 * never loads the engine itself.
 */
import type { LogLevel } from '../core/logger';
import type { Engine } from './engine';
import type { FlushResult } from './outbox';

/** The engine's methods a page calls, after `init`. */
export const ENGINE_METHODS = [
  'commit',
  'history',
  'count',
  'clear',
  'metaGet',
  'metaSet',
  'metaInit',
  'metaDelete',
  'flush',
  'schedule',
] as const satisfies readonly (keyof Engine)[];

/** What the host tells the page besides answers: a sync result, or a log line. */
export type EngineNews = { type: 'sync'; result: FlushResult } | { type: 'log'; level: LogLevel; message: string };
