import { Foundation1795355446755 } from './1795355446755-foundation.js';
import { SeedCatalogs1795355446756 } from './1795355446756-seed-catalogs.js';

// Every migration, in order. Listed explicitly so the build and the tests load the same set.
export const MIGRATIONS: Function[] = [Foundation1795355446755, SeedCatalogs1795355446756];
