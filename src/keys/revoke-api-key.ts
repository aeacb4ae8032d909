import type { Clock } from '../clock.js';
import { isoNow } from '../clock.js';
import type { Db } from '../db/tables.js';
import { lockProgram } from '../db/lock-program.js';
import { AppError, notFound } from '../errors.js';

/**
 * Revokes a key at once for every instance (keys are checked against the database on each
 * request). The program's last admin key cannot be revoked: that would lock everyone out.
 */
export async function revokeApiKey(db: Db, clock: Clock, programId: string, keyId: string): Promise<void> {
  await lockProgram(db, programId);
  const key = await db
    .selectFrom('api_keys')
    .select(['role'])
    .where('program_id', '=', programId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!key) throw notFound('API key');

  const revoke = db
    .updateTable('api_keys')
    .set({ revoked_at: isoNow(clock) })
    .where('program_id', '=', programId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null);
  const result =
    key.role === 'admin'
      ? await revoke
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom('api_keys as other')
                .select('other.id')
                .where('other.program_id', '=', programId)
                .where('other.role', '=', 'admin')
                .where('other.revoked_at', 'is', null)
                .where('other.id', '!=', keyId),
            ),
          )
          .executeTakeFirst()
      : await revoke.executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw new AppError('CONFLICT', 'This is the program\'s last admin key; create another admin key before revoking it');
  }
}
