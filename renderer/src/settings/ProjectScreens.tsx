import { ConnectionsScreen } from '../connections/ConnectionsScreen.tsx';
import { HistoryScreen } from '../history/HistoryScreen.tsx';
import { SettingsScreen } from './SettingsScreen.tsx';
import type { Navigate, Route } from './use-screen-route.ts';

/** The history, connections or settings screen over the workbench (which stays mounted, so a running pipeline keeps its state). */
export function ProjectScreens({ route, onNavigate }: { route: Route; onNavigate: Navigate }) {
  if (route.screen === 'workbench') return null;
  return (
    <div className="project-screen">
      {route.screen === 'connections' && <ConnectionsScreen />}
      {route.screen === 'settings' && <SettingsScreen />}
      {route.screen === 'history' && (
        <HistoryScreen
          runId={route.runId ?? null}
          onOpenRun={(runId) => onNavigate('history', runId ? { runId } : {})}
          onOpenPipeline={(pipelineId) => onNavigate('workbench', { pipelineId })}
        />
      )}
    </div>
  );
}
