import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { DomainError } from '../common/errors/domain-error.js';
import { hostPort } from '../common/net.js';
import { BerthConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { CONTAINER_DRIVER, ContainerDriver, ContainerEngineUnavailableError, NODE_UNREACHABLE, ObservedContainer } from '../containers/container-driver.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { OperationsService } from '../operations/operations.service.js';
import { Plan } from '../plans/plan.entity.js';
import { Runtime } from '../runtimes/runtime.entity.js';
import { DnsResolver } from '../domains/dns-resolver.js';
import { CHALLENGE_PREFIX, DomainsService, routable } from '../domains/domains.service.js';
import { Certificate } from '../edge/certificates/certificate.entity.js';
import { httpsNames } from '../edge/https-names.js';
import { defaultDomain, domainsOf } from './app-domains.js';
import { actionHint } from './app-view.js';
import { checkDomains } from './dns-check.js';
import { AppStatusDto, CertificateStatusDto, TechDto } from './dto/app-status.dto.js';
import { App } from './entities/app.entity.js';
import { NodeDirectory } from '../containers/node-directory.js';
import { SshEndpointProblems } from '../ssh/ssh-endpoint-problems.js';

const PROBE_TIMEOUT_MS = 3000;
const EXEC_TIMEOUT_MS = 5000;
// Where the runtime images keep each technology's commands and version, and which one `rosti <tech>` chose.
const TECHS_DIR = '/opt/berth/techs';
const PRIMARY_TECH = '/srv/bin/primary_tech';
const GB = 1024;
const round2 = (n: number) => Math.round(n * 100) / 100;
// From here on the quota is what holds the app back: the kernel throttles it to the plan's share.
const CPU_SATURATED = 90;

function cpuSentence(percent: number, quota: number): string {
  const cores = `${quota / 100} core${quota === 100 ? '' : 's'}`;
  if (percent < CPU_SATURATED) return `cpu: ${percent}% of the plan's ${cores}`;
  return `cpu: ${percent}% of the plan's ${cores}: the app uses all the CPU its plan gives and is slowed down to it; move it to a bigger plan for more`;
}

/** Observes an app as it is now (container, HTTP, DNS, memory, disk) and says what to do about it. */
@Injectable()
export class AppStatusService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(CONFIG) private readonly config: BerthConfig,
    @Inject(CONTAINER_DRIVER) private readonly driver: ContainerDriver,
    private readonly operations: OperationsService,
    private readonly resolver: DnsResolver,
    private readonly domainsService: DomainsService,
    private readonly metrics: MetricsService,
    private readonly nodes: NodeDirectory,
    private readonly sshProblems: SshEndpointProblems,
  ) {}

  async status(companyId: number, id: number): Promise<AppStatusDto> {
    const app = await this.db.getRepository(App).findOne({ where: { id, companyId } });
    if (!app) throw DomainError.notFound('app');
    const [plan, runtime, domains, operation, sshProblem] = await Promise.all([
      this.db.getRepository(Plan).findOneByOrFail({ id: app.planId }),
      this.db.getRepository(Runtime).findOneBy({ image: app.image }),
      domainsOf(this.db.manager, [id]).then((d) => d.get(id)!),
      this.operations.active('app', id),
      this.sshProblems.of(id),
    ]);
    let container: ObservedContainer | null;
    try {
      container = await this.driver.inspect(id);
    } catch (err) {
      if (err instanceof ContainerEngineUnavailableError) throw new DomainError('unavailable', 'the container engine (Docker) is unavailable; try again shortly');
      throw err;
    }
    const running = container?.running ?? false;
    const [http, dns, memoryMb, storageMb, techs, cpu] = await Promise.all([
      running ? this.probe(app) : Promise.resolve(null),
      checkDomains(this.resolver, domains, this.config.apps.publicAddresses),
      running ? this.driver.memoryUsageMb(id).catch(() => 0) : Promise.resolve(0),
      running ? this.diskUsageMb(id) : Promise.resolve(null),
      running ? this.techs(id) : Promise.resolve({ versions: new Map<string, string>(), primary: '' }),
      running ? this.metrics.currentCpu(id) : Promise.resolve(null),
    ]);

    const errors: string[] = [];
    const info: string[] = [];
    const action = (name: 'start' | 'rebuild') => actionHint(companyId, id, name);
    if (operation) info.push(`operation ${operation.id} (${operation.kind}) is ${operation.status}: ${operation.message}`);
    if (app.deleting) info.push('the app is being deleted');
    else if (!app.enabled) info.push(`the app is stopped; start it with ${action('start')}`);
    else if (!container) errors.push(operation ? 'the app has no container yet' : `the app has no container: ${app.statusMessage || `rebuild it with ${action('rebuild')}`}`);
    else if (!running) errors.push(this.notRunning(container, plan.ram));
    if (running && http) {
      if (http.status === null) {
        errors.push(`nothing answers HTTP on port ${app.appPort} inside the container: make your app listen on 0.0.0.0:${app.appPort} (the PORT variable); its output is in /srv/log/`);
      } else if (http.status >= 500) {
        errors.push(`the app answers HTTP ${http.status} on port ${app.appPort}: an error in the app's code or configuration; see its logs in /srv/log/`);
      } else info.push(`the app answers HTTP ${http.status} on port ${app.appPort}`);
    }
    if (sshProblem) errors.push(sshProblem);
    for (const finding of dns) if (!finding.ok) errors.push(finding.problem!);
    const verified = await this.domainsService.verified(this.db.manager, app.companyId);
    await this.verificationSentences(app, domains, verified, errors);
    const certificates = await this.certificates(app, domains.filter((d) => routable(d, verified, this.config.apps.domain)));
    this.certificateSentences(certificates, errors, info);
    const memoryLimit = plan.ram;
    const diskLimit = plan.disk * 1024;
    if (running) info.push(`memory: ${memoryMb.toFixed(1)} of ${memoryLimit} MB`);
    if (cpu !== null) info.push(cpuSentence(cpu, plan.cpuQuota));
    if (running && memoryMb > memoryLimit * 0.9) errors.push(`the app uses ${memoryMb.toFixed(0)} of its ${memoryLimit} MB of memory: it may be killed; move it to a bigger plan`);
    if (storageMb !== null && storageMb > diskLimit) errors.push(`/srv uses ${storageMb} MB, over the plan's ${diskLimit} MB: delete files or move to a bigger plan`);
    if (running && storageMb === null) info.push('/srv usage could not be measured in time');
    if (!running && !app.deleting) info.push('/srv usage is measured while the app runs');

    const tech = (name: string): TechDto => ({ name, version: techs.versions.get(name) ?? '' });
    return {
      running,
      http_status: http?.status != null && http.status < 500,
      dns_status: dns.every((d) => d.ok),
      errors,
      info,
      memory: { usage: Math.round(memoryMb * 10) / 10, limit: memoryLimit },
      cpu: { usage: cpu ?? -1, limit: 100 },
      storage: {
        usage: storageMb === null ? -1 : round2(storageMb / GB),
        limit: plan.disk,
        over_limit: storageMb === null ? 0 : round2(Math.max(0, storageMb - diskLimit) / GB),
      },
      primary_tech: tech(techs.primary),
      techs: (runtime?.techs ?? []).map(tech),
      certificates,
    };
  }

  /** A custom domain its company has not proved control of is not routed: say what record makes it so. */
  private async verificationSentences(app: App, domains: string[], verified: string[], errors: string[]): Promise<void> {
    const pending = domains.filter((d) => !routable(d, verified, this.config.apps.domain));
    if (pending.length === 0) return;
    const challenges = await this.domainsService.all(app.companyId);
    for (const domain of pending) {
      const base = domain.replace(/^\*\./, '');
      const challenge = challenges.find((c) => c.domain === base);
      const how = challenge ? `create a TXT record ${CHALLENGE_PREFIX}.${base} with the value ${challenge.record.value}, then` : 'get the record to create with';
      errors.push(`${domain} is not routed until this company proves it controls ${base}: ${how} POST /api/v1/${app.companyId}/domains/${base}/verify/`);
    }
  }

  /** The app's HTTPS names (its default domain included) and what the edge holds for each. */
  private async certificates(app: App, domains: string[]): Promise<CertificateStatusDto[]> {
    const names = httpsNames({ mode: app.mode, domains: [...new Set([...domains, defaultDomain(app, this.config.apps.domain)])] }, this.config.edge);
    if (names.length === 0) return [];
    const rows = new Map((await this.db.getRepository(Certificate).find({ where: { domain: In(names) } })).map((c) => [c.domain, c]));
    return names.map((domain) => {
      const cert = rows.get(domain);
      return { domain, status: cert?.status ?? 'pending', expires_at: cert?.expiresAt ?? null, error: cert?.error ?? '', next_try_at: cert?.retryAt ?? null };
    });
  }

  private certificateSentences(certificates: CertificateStatusDto[], errors: string[], info: string[]): void {
    const addresses = this.config.apps.publicAddresses.join(', ');
    for (const c of certificates) {
      if (c.status === 'issued') info.push(`HTTPS for ${c.domain} has a certificate valid until ${c.expires_at!.toISOString()}; HTTP redirects to it`);
      else if (c.status === 'pending') info.push(`a certificate for ${c.domain} is being requested; ${c.domain} answers over HTTP until it is issued, then HTTP redirects to HTTPS`);
      else {
        const next = c.next_try_at ? `at ${c.next_try_at.toISOString()}` : 'later';
        errors.push(`no certificate could be had for ${c.domain}: ${c.error}. The edge tries again ${next} and serves ${c.domain} over HTTP meanwhile; check that ${c.domain} resolves to ${addresses} and reaches this platform on ports 80 and 443`);
      }
    }
  }

  private notRunning(container: ObservedContainer, ramMb: number): string {
    if (container.nodeDown) return `${NODE_UNREACHABLE} (node ${container.node}); nothing is lost: it runs again when the node is back`;
    if (container.oomKilled) return `the app ran out of memory (the plan allows ${ramMb} MB) and was stopped; it is started again automatically, or move it to a bigger plan`;
    const detail = container.error ? `: ${container.error}` : container.state === 'exited' ? ` (exit code ${container.exitCode})` : '';
    return `the app's container is ${container.state}${detail}; the platform starts it again within a minute`;
  }

  /** GET / on the published port: any answer means the app's server runs; null when nothing answers. */
  private async probe(app: App): Promise<{ status: number | null }> {
    const host = await this.nodes.hostOf(app.node);
    if (!host) return { status: null };
    const url = `http://${hostPort(host, app.hostPort)}/`;
    try {
      const answer = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await answer.body?.cancel();
      return { status: answer.status };
    } catch {
      return { status: null };
    }
  }

  private async diskUsageMb(appId: number): Promise<number | null> {
    const result = await this.driver.run(appId, ['du', '-sxm', '/srv'], EXEC_TIMEOUT_MS).catch(() => null);
    const mb = Number(result?.stdout.split(/\s/)[0]);
    return result && Number.isFinite(mb) && result.stdout.trim() !== '' ? mb : null;
  }

  /**
   * The technologies the container has (their versions, as the image recorded them) and the one
   * `rosti <tech>` chose: one short command, no interpreter started.
   */
  private async techs(appId: number): Promise<{ versions: Map<string, string>; primary: string }> {
    const script = `for d in ${TECHS_DIR}/*/; do printf '%s=%s\\n' "$(basename "$d")" "$(cat "$d/version" 2>/dev/null)"; done; printf 'primary=%s\\n' "$(readlink ${PRIMARY_TECH})"`;
    const result = await this.driver.run(appId, ['sh', '-c', script], EXEC_TIMEOUT_MS).catch(() => null);
    const versions = new Map<string, string>();
    let primary = '';
    for (const line of result?.stdout.split('\n') ?? []) {
      const [name, value] = line.split('=', 2);
      if (name === 'primary') primary = new RegExp(`^${TECHS_DIR}/([a-z0-9]+)/bin/?$`).exec(value ?? '')?.[1] ?? '';
      else if (name && /^\d+(\.\d+)*$/.test(value ?? '')) versions.set(name, value);
    }
    return { versions, primary };
  }
}
