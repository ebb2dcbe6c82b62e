import { AppBinding } from '../app-config/entities/app-binding.entity.js';
import { AppConfigVar } from '../app-config/entities/app-config-var.entity.js';
import { AppConfigVersion } from '../app-config/entities/app-config-version.entity.js';
import { AppDomain } from '../apps/entities/app-domain.entity.js';
import { App } from '../apps/entities/app.entity.js';
import { Account } from '../auth/entities/account.entity.js';
import { ApiToken } from '../auth/entities/api-token.entity.js';
import { Company } from '../companies/entities/company.entity.js';
import { Certificate } from '../edge/certificates/certificate.entity.js';
import { DomainVerification } from '../domains/domain-verification.entity.js';
import { AuditEvent } from '../events/event.entity.js';
import { Invitation } from '../companies/entities/invitation.entity.js';
import { AppMetricBucket } from '../metrics/entities/app-metric-bucket.entity.js';
import { AppMetricSample } from '../metrics/entities/app-metric-sample.entity.js';
import { Membership } from '../companies/entities/membership.entity.js';
import { Release } from '../releases/entities/release.entity.js';
import { Plan } from '../plans/plan.entity.js';
import { Operation } from '../operations/operation.entity.js';
import { Runtime } from '../runtimes/runtime.entity.js';
import { SshHostKey } from '../ssh/ssh-host-key.entity.js';
import { Storage } from '../storages/storage.entity.js';

/** Listed explicitly: globs behave differently under the build and the test transpiler. */
export const ENTITIES = [Account, ApiToken, Company, Membership, Plan, Runtime, Operation, Storage, App, AppDomain, SshHostKey, Certificate, DomainVerification, Invitation, AuditEvent, AppConfigVar, AppConfigVersion, AppBinding, Release, AppMetricSample, AppMetricBucket];
