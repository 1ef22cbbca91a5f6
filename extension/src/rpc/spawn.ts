/**
 * @module rpc/spawn — a dedicated worker for a script of the edge's, from any page's origin: a blob
 * that imports the script (a worker's own URL must be same-origin). It fails, terminated and its
 * blob URL revoked, when the script cannot load, when the page's Content-Security-Policy forbids
 * blob workers (which it reports as a violation, not as an error), or when it has not started in
 * `timeoutMs`; once the caller says it started, the timer and listeners go and the blob URL is revoked.
 */

export interface SpawnedWorker {
  worker: Worker;
  /** Resolves with why the worker failed to start; never, once `started()` was called. */
  failed: Promise<string>;
  /** The worker answered: stop watching it start. */
  started(): void;
}

/** Loading a script over a slow network takes a while; a worker that has not answered by then is given up. */
export const START_TIMEOUT_MS = 15_000;

/** `module`: the script is an ES module (it imports chunks of its own beside it), so the worker is a module worker. */
export function spawnWorker(
  scriptUrl: string,
  name: string,
  { timeoutMs = START_TIMEOUT_MS, module = false } = {},
): SpawnedWorker {
  const url = JSON.stringify(scriptUrl);
  const blobUrl = URL.createObjectURL(
    new Blob([module ? `import ${url};` : `importScripts(${url})`], { type: 'text/javascript' }),
  );
  const worker = new Worker(blobUrl, { name, type: module ? 'module' : 'classic' });
  let report: (why: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    report = resolve;
  });
  const onViolation = (ev: SecurityPolicyViolationEvent) => {
    if (ev.blockedURI.startsWith('blob') || ev.blockedURI === blobUrl) {
      fail(`${name}: the page's policy forbids workers`);
    }
  };
  const onError = (ev: ErrorEvent) => {
    ev.preventDefault();
    fail(`${name}: ${ev.message || 'could not load'}`);
  };
  const done = () => {
    clearTimeout(timer);
    document.removeEventListener('securitypolicyviolation', onViolation);
    worker.removeEventListener('error', onError);
    URL.revokeObjectURL(blobUrl);
  };
  const fail = (why: string) => {
    done();
    worker.terminate();
    report(why);
  };
  document.addEventListener('securitypolicyviolation', onViolation);
  worker.addEventListener('error', onError);
  const timer = setTimeout(() => fail(`${name}: did not start in time`), timeoutMs);
  return { worker, failed, started: done };
}
