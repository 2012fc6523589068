import { useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { ConnectionTestResult } from '../../../main/api/contract-views.ts';

/** The Test button and what the test found (reachable, authenticated, server version, or the error with what to fix). */
export function ConnectionTest({ name }: { name: string }) {
  const api = useApi();
  const [result, setResult] = useState<ConnectionTestResult | null>(null);
  const [isTesting, setIsTesting] = useState(false);
  const test = async () => {
    setIsTesting(true);
    setResult(null);
    try {
      setResult(await api.call('connections.test', { name }));
    } catch (e) {
      setResult({ isOk: false, isReachable: false, error: e instanceof Error ? e.message : String(e) });
    } finally {
      setIsTesting(false);
    }
  };
  return (
    <div className="connection-test">
      <button type="button" onClick={() => void test()} disabled={isTesting}>
        {isTesting ? 'Testing…' : 'Test connection'}
      </button>
      <div
        role="status"
        aria-label="Connection test result"
        className="connection-test-result"
        data-ok={result ? String(result.isOk) : undefined}
      >
        {result && (
          <>
            <strong>{result.isOk ? 'Connected' : 'Failed'}</strong>
            {result.label && <span className="muted"> {result.label}</span>}
            <ul>
              <li>reachable: {result.isReachable ? 'yes' : 'no'}</li>
              {result.isAuthenticated !== undefined && <li>auth: {result.isAuthenticated ? 'ok' : 'failed'}</li>}
              {result.server && <li>server: {result.server}</li>}
              {result.error && <li className="form-error">{result.error}</li>}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
