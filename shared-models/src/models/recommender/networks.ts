/**
 * @module shared-models/models/recommender/networks — each network's name as the field writes it,
 * without TF.js: the dashboard names the one a model reads histories with.
 */
import type { Arch } from './sasrec';

const ARCH_NAMES: Record<Arch, string> = { sasrec: 'SASRec', srgnn: 'SR-GNN', lightgcn: 'LightGCN' };

/** A network's name in words, from a manifest's `arch` (SASRec where absent; an unknown one as written). */
export const networkName = (arch: unknown): string =>
  arch === undefined || arch === null
    ? ARCH_NAMES.sasrec
    : ((ARCH_NAMES as Record<string, string>)[String(arch)] ?? String(arch));
