import * as assert from 'assert';
import { EngineError } from '../../server/src/engine/util/errors';

/** Awaits an engine call that must be refused with `code`, and returns the error for more checks. */
export async function refused(promise: Promise<unknown>, code: string): Promise<EngineError> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof EngineError, `expected an EngineError, got ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}
