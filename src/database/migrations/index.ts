import { Foundation1795355446755 } from './1795355446755-foundation.js';
import { SeedCatalogs1795355446756 } from './1795355446756-seed-catalogs.js';
import { OperationsAndStorages1795359677994 } from './1795359677994-operations-and-storages.js';
import { Apps1795451546290 } from './1795451546290-apps.js';
import { SshHostKeys1795452638988 } from './1795452638988-ssh-host-keys.js';
import { RostiClients1795540000000 } from './1795540000000-rosti-clients.js';
import { Certificates1795540000001 } from './1795540000001-certificates.js';
import { DomainVerifications1795540000002 } from './1795540000002-domain-verifications.js';
import { Teams1795540000003 } from './1795540000003-teams.js';
import { Events1795540000004 } from './1795540000004-events.js';
import { AppConfig1795540000005 } from './1795540000005-app-config.js';
import { AppBindings1795540000006 } from './1795540000006-app-bindings.js';
import { Releases1795540000007 } from './1795540000007-releases.js';
import { LiveEvents1795540000008 } from './1795540000008-live-events.js';
import { AppMetrics1795540000009 } from './1795540000009-app-metrics.js';
import { AppNodes1795540000010 } from './1795540000010-app-nodes.js';
import { ReleaseArchives1795540000011 } from './1795540000011-release-archives.js';

// Every migration, in order. Listed explicitly so the build and the tests load the same set.
export const MIGRATIONS: Function[] = [
  Foundation1795355446755,
  SeedCatalogs1795355446756,
  OperationsAndStorages1795359677994,
  Apps1795451546290,
  SshHostKeys1795452638988,
  RostiClients1795540000000,
  Certificates1795540000001,
  DomainVerifications1795540000002,
  Teams1795540000003,
  Events1795540000004,
  AppConfig1795540000005,
  AppBindings1795540000006,
  Releases1795540000007,
  LiveEvents1795540000008,
  AppMetrics1795540000009,
  AppNodes1795540000010,
  ReleaseArchives1795540000011,
];
