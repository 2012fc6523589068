import { useCallback, useEffect, useState } from 'react';
import type { Navigate, Route } from './settings/use-screen-route.ts';
import type { Loaded, ProjectInfo } from './use-project.ts';

/**
 * The pipeline on the workbench, kept in the URL (`#/pipelines/<id>`: reload, Back and Forward show it again) and
 * remembered while another screen is shown. A URL naming a pipeline with no file yet opens it as a draft: an empty
 * canvas whose file is written with the first block.
 */
export function useSelectedPipeline(project: Loaded<ProjectInfo>, route: Route, navigate: Navigate) {
  const [remembered, setRemembered] = useState<string | null>(route.pipelineId ?? null);
  const [draftId, setDraftId] = useState<string | null>(null);
  const pipelines = project.status === 'ready' ? project.value.pipelines : null;
  const pipelineId = route.pipelineId ?? remembered;

  useEffect(() => {
    if (route.pipelineId) setRemembered(route.pipelineId);
  }, [route.pipelineId]);
  useEffect(() => {
    // The workbench without a pipeline in its URL shows the last one (or the first): replaced, so Back skips it.
    const fallback = remembered ?? pipelines?.[0];
    if (pipelines && route.screen === 'workbench' && !route.pipelineId && fallback)
      navigate('workbench', { pipelineId: fallback, replace: true });
  }, [pipelines, route.screen, route.pipelineId, remembered, navigate]);
  useEffect(() => {
    if (pipelines && route.pipelineId && !pipelines.includes(route.pipelineId)) setDraftId(route.pipelineId);
  }, [pipelines, route.pipelineId]);

  /** Shows a pipeline on the workbench, from any screen. */
  const select = useCallback((id: string) => navigate('workbench', { pipelineId: id }), [navigate]);
  const isDraft = draftId !== null && draftId === pipelineId && pipelines !== null && !pipelines.includes(draftId);
  return { pipelineId, draftId, isDraft, select };
}
