/**
 * @module dashboard/health — a model's verdict as a merchant reads it: a plain line when it beats
 * its simple baseline, a warning with the reason when it does not, a muted note when unjudged.
 */
import type { ModelHealth } from '@aisle/shared-models/models/health';
import { h } from './dom';

const OPENING: Record<ModelHealth['verdict'], string> = {
  ok: 'Worth acting on: ',
  weak: 'No better than a simple baseline: ',
  unknown: 'Not judged: ',
};

/** The verdict as one paragraph; `key` names it for tests and tools (`data-health`). */
export function healthNote(health: ModelHealth | null | undefined, key: string) {
  if (!health) return h('p', { class: 'muted', 'data-health': key, 'data-verdict': 'unknown' }, 'No model.');
  return h(
    'p',
    {
      class: health.verdict === 'weak' ? 'warning' : health.verdict === 'ok' ? 'ok' : 'muted',
      role: health.verdict === 'weak' ? 'alert' : undefined,
      'data-health': key,
      'data-verdict': health.verdict,
    },
    OPENING[health.verdict],
    health.reason,
    '.',
  );
}
