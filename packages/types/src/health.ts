/** What `GET /healthz` answers: 200 with `status: 'ok'`, or 503 with `status: 'error'`. */
export interface HealthReport {
  status: 'ok' | 'error';
  version: string;
  database: { ok: boolean; latencyMs: number; error?: string };
}
