import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity.js';
import { CONTAINER_DRIVER, ContainerDriver, ContainerEngineUnavailableError, ContainerNode } from '../containers/container-driver.js';

// One placement at a time across every worker: two apps placed at once would both see the same free memory.
const PLACEMENT_LOCK = 0x6265_7274; // "bert"
const MB = 1024 * 1024;

/** A node's standing for placement: memory it has, and what the plans of the apps placed on it already take. */
export interface NodeLoad {
  node: ContainerNode;
  apps: number;
  reservedMb: number;
  freeMb: number;
}

/** The node with the most memory left once its apps' plans are counted; fewer apps, then its name, break ties. */
export function choose(loads: NodeLoad[]): NodeLoad | null {
  return [...loads].sort((a, b) => b.freeMb - a.freeMb || a.apps - b.apps || a.node.name.localeCompare(b.node.name))[0] ?? null;
}

/**
 * Where an app runs. The choice is made once, by free capacity among the nodes that take apps,
 * and recorded on the app: the app stays there (its /srv lives there) until it is moved.
 * Plans' memory is a limit, not a reservation: a full node still takes an app when no other has more room.
 */
@Injectable()
export class Placement {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
  ) {}

  /** Where to move an app off node `leaving`: the node with the most room among the others that take apps; null when none does. */
  async elsewhere(leaving: string): Promise<string | null> {
    const candidates = (await this.driver.nodes()).filter((n) => n.acceptsApps && n.name !== leaving);
    return candidates.length ? choose(await this.loads(this.db, candidates))!.node.name : null;
  }

  /** The nodes a new app may go to now; ContainerEngineUnavailableError when none. Asked before a transaction: it calls the engine. */
  async candidates(): Promise<ContainerNode[]> {
    const candidates = (await this.driver.nodes()).filter((n) => n.acceptsApps);
    if (candidates.length === 0) throw new ContainerEngineUnavailableError('no node takes apps now (none is ready, labelled to take apps and not drained)');
    return candidates;
  }

  /** Picks one of `candidates` in the caller's transaction, which then holds the placement lock until it ends: record the choice in it. */
  async pick(tx: Pick<DataSource, 'query'>, candidates: ContainerNode[]): Promise<string> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PLACEMENT_LOCK]);
    return choose(await this.loads(tx, candidates))!.node.name;
  }

  /** The app's node; one placed before nodes were recorded (an upgrade) is placed now. */
  async nodeFor(app: App): Promise<string> {
    if (app.node) return app.node;
    const candidates = await this.candidates();
    const node = await this.db.transaction(async (tx) => {
      const chosen = await this.pick(tx, candidates);
      const [row]: Array<{ node: string | null }> = await tx.query('SELECT node FROM apps WHERE id = $1', [app.id]);
      if (row?.node) return row.node;
      await tx.query('UPDATE apps SET node = $2, data_node = $2 WHERE id = $1', [app.id, chosen]);
      return chosen;
    });
    app.node = node;
    app.dataNode = node;
    return node;
  }

  /** Each node's apps and the memory their plans take, for the nodes given. */
  async loads(db: Pick<DataSource, 'query'>, nodes: ContainerNode[]): Promise<NodeLoad[]> {
    const rows: Array<{ node: string; apps: number; ram: number }> = await db.query(
      'SELECT a.node, count(*)::int AS apps, coalesce(sum(p.ram), 0)::int AS ram FROM apps a JOIN plans p ON p.id = a.plan_id WHERE a.node = ANY($1) GROUP BY a.node',
      [nodes.map((n) => n.name)],
    );
    return nodes.map((node) => {
      const row = rows.find((r) => r.node === node.name);
      const reservedMb = row?.ram ?? 0;
      return { node, apps: row?.apps ?? 0, reservedMb, freeMb: Math.floor(node.memoryBytes / MB) - reservedMb };
    });
  }
}
