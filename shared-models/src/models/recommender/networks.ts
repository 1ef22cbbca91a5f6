/**
 * @module shared-models/models/recommender/networks — each network's name as the field writes it,
 * without TF.js: the dashboard names the one a model reads histories with.
 */
import type { Arch } from './sasrec';

export const ARCH_NAMES: Record<Arch, string> = { sasrec: 'SASRec', srgnn: 'SR-GNN', lightgcn: 'LightGCN' };
