import type { EntityManager } from '@mikro-orm/postgresql';

/** Offload worker pools' heartbeats (`offload_worker`): how a crashed worker's jobs are found and released. */
export class WorkerHeartbeatsRepository {
  constructor(private readonly em: EntityManager) {}

  private get db() {
    return this.em.getConnection();
  }

  async beat(workerIds: string[]): Promise<void> {
    // Ids as one JSON parameter: the query builder would spread an array into many.
    await this.db.execute(
      `insert into offload_worker (worker_id, heartbeat_at) select value, now() from json_array_elements_text(?::json) on conflict (worker_id) do ` +
        `update set heartbeat_at = now()`,
      [JSON.stringify(workerIds)],
    );
  }

  /** Forgets the workers silent for longer than `seconds` and returns their ids. */
  async removeSilent(seconds: number): Promise<string[]> {
    const rows = (await this.db.execute(`delete from offload_worker where heartbeat_at < now() - (? * interval '1 second') returning worker_id`, [
      seconds,
    ])) as { worker_id: string }[];
    return rows.map((r) => r.worker_id);
  }

  async remove(workerIds: string[]): Promise<void> {
    await this.db.execute(`delete from offload_worker where worker_id in (select value from json_array_elements_text(?::json))`, [JSON.stringify(workerIds)]);
  }
}
