/**
 * @module test/bench/profile-retail — do the segments mean anything for a merchant? On the UCI Online
 * Retail year, customers are segmented on their behaviour up to 9 September 2011 and each segment's
 * spend over the next 90 days (what it ordered less what it returned) is compared: the share of
 * the variance in later spend the segments explain (η², on log spend), against the same-sized
 * segments drawn at random, and each segment's mean. Three seeds (k-means's start).
 */
import { random, shuffleInPlace } from '@aisle/shared-models/util/random';
import { trainProfile } from '../../training/src/pipelines/profile';
import { onlineRetailEvents, onlineRetailMissing } from './datasets';
import { plusMinus, type Row, report, SEEDS, spread } from './report';

const AS_OF = Date.parse('2011-09-09T00:00:00Z');
const HORIZON = 90 * 86_400_000;
const BENCH_SEEDS = SEEDS.slice(0, 3);

/** Share of the variance of `values` between the groups of `groups`. */
function etaSquared(values: readonly number[], groups: ArrayLike<number>): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sums = new Map<number, { n: number; sum: number }>();
  values.forEach((v, i) => {
    const g = sums.get(groups[i]) ?? { n: 0, sum: 0 };
    sums.set(groups[i], { n: g.n + 1, sum: g.sum + v });
  });
  const between = [...sums.values()].reduce((s, g) => s + g.n * (g.sum / g.n - mean) ** 2, 0);
  const total = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return total ? between / total : 0;
}

export async function benchProfileRetail() {
  const absent = onlineRetailMissing();
  if (absent) {
    console.warn(`\nprofile on Online Retail: skipped, ${absent}`);
    return;
  }
  const events = onlineRetailEvents();
  const later = new Map<string, number>();
  for (const e of events) {
    if (e.ts <= AS_OF || e.ts > AS_OF + HORIZON) continue;
    const value = (e.price ?? 0) * (e.quantity ?? 1) * (e.type === 'refund' ? -1 : 1);
    later.set(e.user_id, (later.get(e.user_id) ?? 0) + value);
  }
  const runs: { seed: number; k: number; eta: number; random: number; segments: Record<string, unknown>[] }[] = [];
  for (const seed of BENCH_SEEDS) {
    const profile = trainProfile(events, { asOf: AS_OF, seed });
    const spend = profile.users.map((u) => Math.max(0, later.get(u) ?? 0));
    const logSpend = spend.map((s) => Math.log1p(s));
    const shuffled = shuffleInPlace(Int32Array.from(profile.assignment), random(seed));
    const segments = profile.manifest.segments.map((segment, j) => {
      const members = spend.filter((_, i) => profile.assignment[i] === j);
      return {
        name: segment.name,
        customers: members.length,
        mean_later_spend: members.reduce((a, b) => a + b, 0) / (members.length || 1),
        share_ordering_again: members.filter((s) => s > 0).length / (members.length || 1),
      };
    });
    runs.push({
      seed,
      k: profile.manifest.segments.length,
      eta: etaSquared(logSpend, profile.assignment),
      random: etaSquared(logSpend, shuffled),
      segments,
    });
  }
  const eta = runs.map((r) => r.eta);
  const chance = runs.map((r) => r.random);
  const rows: Row[] = [
    {
      metric: `variance in later spend (log) explained by the segments, η² (${plusMinus(eta)})`,
      value: spread(eta).mean,
      unit: '',
      reference: `the same sizes at random ${spread(chance).mean.toFixed(4)}`,
      pass: spread(eta).mean - spread(eta).sd > spread(chance).mean + spread(chance).sd,
    },
    ...runs[0].segments.map((s) => ({
      metric: `seed ${runs[0].seed}, "${s.name}" (${s.customers} customers): mean spend over the next 90 days; ${Math.round(Number(s.share_ordering_again) * 100)} % ordered again`,
      value: Number(s.mean_later_spend),
      unit: '',
    })),
  ];
  report(
    'profile-retail',
    `Segments on the UCI Online Retail year, behaviour up to 2011-09-09, judged by each customer's spend over the next 90 days (orders less returns); k by silhouette (${runs.map((r) => r.k).join(', ')} for seeds ${BENCH_SEEDS.join(', ')})`,
    rows,
    { runs },
  );
}
