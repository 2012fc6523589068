import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ApiContext } from './api/ApiContext.tsx';
import { createApiClient } from './api/api-client.ts';
import { findElectronBridge } from './api/electron-transport.ts';
import { createHttpTransport } from './api/http-transport.ts';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
// Inside the desktop app the preload's bridge is there; in a browser, pipewright serve answers over HTTP.
const client = createApiClient(findElectronBridge() ?? createHttpTransport());
createRoot(container).render(
  <StrictMode>
    <ApiContext.Provider value={client}>
      <App />
    </ApiContext.Provider>
  </StrictMode>,
);
