import type { Screen } from './use-screen-route.ts';
import './screens.css';

const TABS: { screen: Screen; label: string }[] = [
  { screen: 'workbench', label: 'Pipelines' },
  { screen: 'history', label: 'History' },
  { screen: 'connections', label: 'Connections' },
  { screen: 'settings', label: 'Settings' },
];

/** The top bar's switch between the pipeline workbench and the project screens. */
export function ScreenTabs({ screen, onChange }: { screen: Screen; onChange: (screen: Screen) => void }) {
  return (
    <nav className="screen-tabs" aria-label="Screens">
      {TABS.map((tab) => (
        <button
          key={tab.screen}
          type="button"
          className="screen-tab"
          aria-current={tab.screen === screen ? 'page' : undefined}
          onClick={() => onChange(tab.screen)}
        >
          {tab.label}
        </button>
      ))}
    </nav>
  );
}
