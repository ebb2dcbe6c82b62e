// The DataSource the TypeORM CLI uses (build first: `npm run build`, then
// `npx typeorm -d dist/ormconfig.js migration:generate src/database/migrations/Name`).
import { loadConfig } from './src/config/config.js';
import { createDataSource } from './src/database/data-source.js';

export default createDataSource(loadConfig());
