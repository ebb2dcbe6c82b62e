import { DynamicModule, Module } from '@nestjs/common';
import { RedisModule } from '../common/redis/redis.module.js';
import { BerthConfig, Role } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { ContainersModule } from '../containers/containers.module.js';
import { NodeAgentModule } from '../nodes/node-agent.module.js';
import { EdgeRoleModule } from '../edge/edge-role.module.js';
import { EdgeModule } from '../edge/edge.module.js';
import { MetricsWorkerModule } from '../metrics/metrics.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { AppWorkerModule } from '../provisioning/app-worker.module.js';
import { QueuesModule } from '../provisioning/queues.module.js';
import { StorageEnginesModule } from '../storages/engines/storage-engines.module.js';
import { SshModule } from '../ssh/ssh.module.js';
import { StorageWorkerModule } from '../storages/storage-worker.module.js';

export type BackgroundRole = Exclude<Role, 'api'>;

/**
 * One process context for the non-HTTP roles (worker, ssh, edge) this process
 * runs: configuration, PostgreSQL and Redis, shared by all of them. Each role's
 * own module joins `imports` here as it is built.
 */
@Module({})
export class BackgroundModule {
  static forRoles(config: BerthConfig, roles: BackgroundRole[]): DynamicModule {
    const modules = new Set<Function>();
    if (roles.includes('worker')) [OperationsModule, QueuesModule, StorageEnginesModule, StorageWorkerModule, ContainersModule, EdgeModule, AppWorkerModule, MetricsWorkerModule].forEach((m) => modules.add(m));
    if (roles.includes('ssh')) [ContainersModule, SshModule].forEach((m) => modules.add(m));
    if (roles.includes('node')) modules.add(NodeAgentModule);
    if (roles.includes('edge')) [ContainersModule, EdgeModule, EdgeRoleModule].forEach((m) => modules.add(m));
    return { module: BackgroundModule, imports: [ConfigModule.forRoot(config), DatabaseModule, RedisModule, ...(modules as Set<never>)] };
  }
}
