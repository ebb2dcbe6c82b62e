import type { BerthConfig } from '../config/config.js';
import { defaultDomain } from './app-domains.js';
import type { AppDto } from './dto/app.dto.js';
import type { App } from './entities/app.entity.js';

/** The wire form of an app (Rosti's field names); never the SSH password or its hash. */
export function toAppDto(app: App, domains: string[], config: BerthConfig): AppDto {
  return {
    id: app.id,
    date: app.createdAt,
    name: app.name,
    enabled: app.enabled,
    image: app.image,
    domains,
    default_domain: defaultDomain(app, config.apps.domain),
    mode: app.mode,
    plan: app.planId,
    app_port: app.appPort,
    // Each node serves the SSH endpoints of its own apps.
    ssh_access: [{ hostname: (app.node && config.cluster.sshHostnames[app.node]) || config.ssh.hostname, port: app.sshPort, username: 'app' }],
    ssh_keys: app.sshKeys,
    ssh_password_set: app.sshPasswordHash !== null,
    status: app.status,
    status_message: app.statusMessage,
    config_version: app.configVersion,
    config_running_version: app.configRunningVersion,
    operation_id: app.operationId,
  };
}

/** How to ask for an action on an app, for sentences that tell a person what to do. */
export function actionHint(companyId: number, appId: number, action: 'start' | 'rebuild'): string {
  return `PUT /api/v1/${companyId}/apps-action/${appId}/ {"action": "${action}"}`;
}
