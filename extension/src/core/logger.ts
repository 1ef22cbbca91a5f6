/** @module capture/logger — the one place errors go; the script never throws into the merchant's page. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  log(level: LogLevel, message: string, cause?: unknown): void;
  /** The last messages at or above `warn`, newest last, for `aisle.status()` and the inspector. */
  recent(): string[];
}

/** Creates a levelled logger that prints only at or above `level` (`warn` unless the tag says `data-debug`). */
export function createLogger(level: LogLevel = 'warn', onError?: (message: string) => void): Logger {
  const kept: string[] = [];
  return {
    log(at, message, cause) {
      if (ORDER[at] >= ORDER.warn) {
        kept.push(`${at}: ${message}`);
        if (kept.length > 20) kept.shift();
      }
      if (at === 'error') onError?.(message);
      if (ORDER[at] >= ORDER[level]) console[at]('[aisle]', message, cause ?? '');
    },
    recent: () => kept.slice(),
  };
}

/** Wraps a callback so that whatever it throws is logged rather than reaching the page. */
export function guard<A extends unknown[], R>(logger: Logger, where: string, fn: (...args: A) => R) {
  return (...args: A): R | undefined => {
    try {
      return fn(...args);
    } catch (cause) {
      logger.log('error', `${where} failed`, cause);
      return undefined;
    }
  };
}
