import { useEffect, useState } from 'react';
import type { TriggerDescription } from '../../../main/api/contract-views.ts';
import type { ErrorShape } from '../../../main/model/errors.ts';
import { useApi } from '../api/ApiContext.tsx';
import { messageOf } from '../use-project.ts';
import { Modal } from './Modal.tsx';
import { apiCurlLine, formatLocal } from './trigger-text.ts';

type Reply = { triggers: TriggerDescription[]; problems: { pipelineId: string; error: ErrorShape }[] };

/** Read-only list of the pipeline's triggers with their next five fire times in UTC and in this browser's time zone. */
export function TriggersPanel({ pipelineId, onClose }: { pipelineId: string; onClose(): void }) {
  const api = useApi();
  const [reply, setReply] = useState<Reply | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [apiOrigin, setApiOrigin] = useState<string | null>(null);
  useEffect(() => {
    api.call('triggers.list', { pipelineId }).then(setReply, (e: unknown) => setError(messageOf(e)));
    // The desktop app's loopback API, for the curl line (a browser page uses its own address).
    api.call('app.info').then(
      (info) => setApiOrigin(info.apiOrigin),
      () => undefined,
    );
  }, [api, pipelineId]);
  return (
    <Modal title={`Triggers of ${pipelineId}`} onClose={onClose} wide>
      <p className="muted">
        Triggers are edited in <code>pipelines/{pipelineId}/pipeline.yaml</code> (its <code>triggers:</code> list); the scheduler fires them
        while the app or <code>pipewright serve</code> runs.
      </p>
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {reply?.problems.map((p) => (
        <p key={p.pipelineId} className="error-text" role="alert">
          {p.pipelineId}: {p.error.message}
        </p>
      ))}
      {!reply && !error && (
        <p className="muted" role="status">
          Loading triggers…
        </p>
      )}
      {reply?.triggers.length === 0 && (
        <p className="muted">
          This pipeline has no triggers: add a schedule or api trigger under <code>triggers:</code> in its pipeline.yaml.
        </p>
      )}
      {reply?.triggers.map((t) => (
        <TriggerCard key={t.name} trigger={t} apiOrigin={apiOrigin} />
      ))}
    </Modal>
  );
}

function TriggerCard({ trigger: t, apiOrigin }: { trigger: TriggerDescription; apiOrigin: string | null }) {
  return (
    <section className="trigger-card" aria-label={`Trigger ${t.name}`}>
      <h3>
        {t.name} <span className="kind-chip">{t.type}</span> {!t.enabled && <span className="kind-chip is-off">disabled</span>}
      </h3>
      {t.type === 'schedule' ? (
        <dl className="trigger-facts">
          <dt>Cron</dt>
          <dd>
            <code>{t.cron}</code>
          </dd>
          <dt>Time zone</dt>
          <dd>{t.timezone}</dd>
          <dt>Catch-up</dt>
          <dd>{t.catchUp}</dd>
          <dt>Skip if running</dt>
          <dd>{t.skipIfRunning ? 'yes' : 'no'}</dd>
          <dt>Last fire</dt>
          <dd>
            {t.lastFire
              ? `${t.lastFire.kind} · ${t.lastFire.scheduledAt}${t.lastFire.runId ? ` · ${t.lastFire.runId}` : ''}${t.lastFire.reason ? ` · ${t.lastFire.reason}` : ''}`
              : 'never'}
          </dd>
        </dl>
      ) : (
        <pre className="curl-line" aria-label={`Request that starts ${t.pipelineId}`}>
          {apiCurlLine(location.origin, t.pipelineId, apiOrigin)}
        </pre>
      )}
      {t.next.length > 0 && <NextFires next={t.next} name={t.name} />}
    </section>
  );
}

function NextFires({ next, name }: { next: TriggerDescription['next']; name: string }) {
  return (
    <table className="next-fires" aria-label={`Next fires of ${name}`}>
      <thead>
        <tr>
          <th scope="col">UTC</th>
          <th scope="col">Local ({Intl.DateTimeFormat().resolvedOptions().timeZone})</th>
        </tr>
      </thead>
      <tbody>
        {next.map((fire) => (
          <tr key={fire.utc}>
            <td>{fire.utc.replace('T', ' ').replace('Z', ' UTC')}</td>
            <td>{formatLocal(fire.utc)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
