import type { StageStatus } from '../../src/core/deal.ts';

/** What the mapping sees under `_derived.stage`: status from pipeline metadata, never from label text. */
export interface StageInfo {
  id: string;
  label: string;
  status: StageStatus;
  /** Position within its pipeline, 0 = first (HubSpot displayOrder, normalized). */
  order: number;
  /** The stage's own win probability, 0..1, when the pipeline sets one. */
  probability: number | null;
  pipelineId: string;
  pipelineLabel: string;
}

export type StageMap = Map<string, StageInfo>;

interface RawStage {
  id: string;
  label: string;
  displayOrder: number;
  metadata?: Record<string, string | undefined> | null;
  archived?: boolean;
}
interface RawPipeline {
  id: string;
  label: string;
  stages: RawStage[];
}

const truthy = (v: string | undefined): boolean => v === 'true' || v === '1';

/**
 * Open/won/lost from stage metadata: `isClosed`, and for closed stages `isWon` when HubSpot
 * sends it, else the stage probability (closed won is 1.0, closed lost 0.0 in HubSpot pipelines).
 */
export function stageStatus(meta: Record<string, string | undefined> | null | undefined): StageStatus {
  if (!truthy(meta?.isClosed)) return 'open';
  if (meta?.isWon !== undefined) return truthy(meta.isWon) ? 'won' : 'lost';
  const p = Number(meta?.probability);
  return Number.isFinite(p) && p >= 1 ? 'won' : 'lost';
}

/** Stage id → stage facts for every pipeline. Pure (takes the pipelines API's results). */
export function buildStageMap(pipelines: readonly RawPipeline[]): StageMap {
  const map: StageMap = new Map();
  for (const p of pipelines) {
    const stages = [...p.stages].sort((a, b) => a.displayOrder - b.displayOrder);
    stages.forEach((s, i) => {
      const prob = Number(s.metadata?.probability);
      map.set(s.id, {
        id: s.id,
        label: s.label,
        status: stageStatus(s.metadata),
        order: i,
        probability: s.metadata?.probability !== undefined && Number.isFinite(prob) ? prob : null,
        pipelineId: p.id,
        pipelineLabel: p.label,
      });
    });
  }
  return map;
}

/**
 * A deal whose stage is not in any pipeline we know (deleted stage, pipeline created mid-sync)
 * still gets a status, from HubSpot's own computed flags.
 */
export function fallbackStage(stageId: string | null, props: Record<string, string | null | undefined>): StageInfo | null {
  if (!stageId) return null;
  const won = props.hs_is_closed_won === 'true';
  const closed = props.hs_is_closed === 'true' || won || props.hs_is_closed_lost === 'true';
  return {
    id: stageId,
    label: stageId,
    status: won ? 'won' : closed ? 'lost' : 'open',
    order: -1,
    probability: null,
    pipelineId: props.pipeline ?? '',
    pipelineLabel: props.pipeline ?? '',
  };
}
