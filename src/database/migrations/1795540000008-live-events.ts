import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Live events: every change of an operation, and of an app's status, is announced on the
 * `berth_live` channel by PostgreSQL itself. A NOTIFY is delivered when its transaction commits
 * and never when it rolls back, so a stream never shows a change that did not happen, whichever
 * process made it.
 */
export class LiveEvents1795540000008 implements MigrationInterface {
  name = 'LiveEvents1795540000008';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Messages are cut to 1000 characters: a NOTIFY payload must stay under 8000 bytes.
    await queryRunner.query(`
            CREATE FUNCTION berth_live_operation() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('berth_live', json_build_object(
                    'kind', 'operation', 'company_id', NEW.company_id,
                    'operation', json_build_object(
                        'id', NEW.id, 'kind', NEW.kind, 'target_type', NEW.target_type, 'target_id', NEW.target_id,
                        'status', NEW.status, 'message', left(NEW.message, 1000),
                        'created_at', NEW.created_at, 'started_at', NEW.started_at, 'finished_at', NEW.finished_at))::text);
                RETURN NULL;
            END $$
        `);
    await queryRunner.query(`CREATE TRIGGER operations_live AFTER INSERT OR UPDATE ON operations FOR EACH ROW EXECUTE FUNCTION berth_live_operation()`);
    await queryRunner.query(`
            CREATE FUNCTION berth_live_app() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                app apps;
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    app := OLD;
                ELSE
                    app := NEW;
                END IF;
                IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status AND NEW.status_message IS NOT DISTINCT FROM OLD.status_message THEN
                    RETURN NULL;
                END IF;
                PERFORM pg_notify('berth_live', json_build_object(
                    'kind', 'app', 'company_id', app.company_id,
                    'app', json_build_object(
                        'id', app.id, 'name', app.name,
                        'status', CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE app.status::text END,
                        'status_message', left(app.status_message, 1000)))::text);
                RETURN NULL;
            END $$
        `);
    await queryRunner.query(`CREATE TRIGGER apps_live AFTER INSERT OR UPDATE OR DELETE ON apps FOR EACH ROW EXECUTE FUNCTION berth_live_app()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER apps_live ON apps`);
    await queryRunner.query(`DROP FUNCTION berth_live_app()`);
    await queryRunner.query(`DROP TRIGGER operations_live ON operations`);
    await queryRunner.query(`DROP FUNCTION berth_live_operation()`);
  }
}
