import { DataSource } from 'typeorm';
import { AppChanges } from '../apps/app-changes.js';
import { OPERATOR } from '../common/access/principal.js';
import type { ContainerDriver } from '../containers/container-driver.js';
import { Operation } from '../operations/operation.entity.js';
import { AppOperation } from '../provisioning/jobs.js';
import { Placement } from './placement.js';

/** What `berth node:list` shows of a node. */
export interface NodeRow {
  name: string;
  /** ready, down, unknown; `missing`: apps are recorded on it but the cluster does not know it. */
  state: string;
  availability: string;
  acceptsApps: boolean;
  address: string;
  memoryMb: number;
  apps: number;
  /** Memory of the plans of the apps placed on it. */
  reservedMb: number;
  freeMb: number;
}

export interface DrainOutcome {
  moved: number;
  failed: string[];
}

const POLL_MS = 500;

/** The operator's node commands: list the nodes, drain one onto the others, remove a drained one. */
export class NodeAdmin {
  constructor(
    private readonly db: DataSource,
    private readonly driver: ContainerDriver,
    private readonly changes: AppChanges,
    private readonly placement: Placement,
  ) {}

  async list(): Promise<NodeRow[]> {
    const nodes = await this.driver.nodes();
    const loads = await this.placement.loads(this.db, nodes);
    const rows: NodeRow[] = loads.map(({ node, apps, reservedMb, freeMb }) => ({
      name: node.name,
      state: node.state,
      availability: node.availability,
      acceptsApps: node.acceptsApps,
      address: node.address,
      memoryMb: Math.floor(node.memoryBytes / (1024 * 1024)),
      apps,
      reservedMb,
      freeMb,
    }));
    // A node that left the cluster with apps still recorded on it is the one an operator must see.
    const lost: Array<{ node: string; apps: number }> = await this.db.query(
      'SELECT coalesce(data_node, node) AS node, count(*)::int AS apps FROM apps WHERE coalesce(data_node, node) <> ALL($1) GROUP BY 1 ORDER BY 1',
      [nodes.map((n) => n.name)],
    );
    for (const { node, apps } of lost) rows.push({ name: node, state: 'missing', availability: '', acceptsApps: false, address: '', memoryMb: 0, apps, reservedMb: 0, freeMb: 0 });
    return rows;
  }

  /**
   * Moves every app off `name`, one at a time, each as an `app.move` operation of its company:
   * the node first stops taking new apps (its own keep running until their turn), and once it
   * holds none, the cluster stops running anything there. `report` hears of each move.
   */
  async drain(name: string, timeoutMs: number, report: (line: string) => void): Promise<DrainOutcome> {
    const node = (await this.driver.nodes()).find((n) => n.name === name);
    if (!node) throw new Error(`there is no node ${name} (see berth node:list)`);
    await this.driver.setNodeAvailability(name, 'pause');
    const apps: Array<{ id: number; company_id: number; name: string }> = await this.db.query(
      'SELECT id, company_id, name FROM apps WHERE (node = $1 OR data_node = $1) AND NOT deleting ORDER BY id',
      [name],
    );
    report(`node ${name}: ${apps.length} app${apps.length === 1 ? '' : 's'} to move; it takes no new ones`);
    const outcome: DrainOutcome = { moved: 0, failed: [] };
    for (const app of apps) {
      const started = Date.now();
      const what = `app ${app.id} (${app.name}, company ${app.company_id})`;
      try {
        const to = await this.placement.elsewhere(name);
        if (!to) throw new Error('no other node takes apps now');
        const recorded = await this.changes.record(app.company_id, app.id, OPERATOR, async (_tx, row) => {
          // A drain run again after a crash keeps the node an earlier run chose.
          if (row!.node === name) row!.node = to;
          return { app: row!, kind: AppOperation.Move, status: 'updating', event: { action: 'app.move', data: { from: name, to: row!.node! } } };
        });
        const done = await this.finished(recorded.operationId!, timeoutMs);
        if (done.status !== 'success') throw new Error(done.message);
        outcome.moved += 1;
        report(`${what}: moved to ${recorded.node} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        outcome.failed.push(`${what}: ${(err as Error).message}`);
        report(`${what}: NOT moved: ${(err as Error).message}`);
      }
    }
    if (outcome.failed.length === 0) {
      await this.driver.setNodeAvailability(name, 'drain');
      report(`node ${name}: drained; remove it with berth node:remove ${name}`);
    }
    return outcome;
  }

  /** Takes a node out of the cluster; refused while any app is placed on it or keeps its /srv there. */
  async remove(name: string): Promise<void> {
    const held: Array<{ id: number; name: string }> = await this.db.query('SELECT id, name FROM apps WHERE node = $1 OR data_node = $1 ORDER BY id', [name]);
    if (held.length > 0) {
      const list = held.slice(0, 10).map((a) => `${a.id} (${a.name})`).join(', ');
      throw new Error(`node ${name} still holds ${held.length} app${held.length === 1 ? '' : 's'}: ${list}${held.length > 10 ? ', ...' : ''}; drain it first: berth node:drain ${name}`);
    }
    await this.driver.removeNode(name);
  }

  private async finished(operationId: number, timeoutMs: number): Promise<Operation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const operation = await this.db.getRepository(Operation).findOneByOrFail({ id: operationId });
      if (operation.status === 'success' || operation.status === 'error') return operation;
      if (Date.now() > deadline) throw new Error(`operation ${operationId} did not finish within ${timeoutMs / 1000} s (it goes on: see GET /operations/${operationId}/)`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
