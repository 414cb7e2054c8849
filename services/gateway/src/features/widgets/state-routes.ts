import {
  ErrorCode,
  RoarError,
  isIdempotencyKey,
  isStateKey,
  isStateVersion,
  type StateOp,
} from '@roar/protocol';
import { json, type Route } from '../../base/http.js';
import type { Actor } from '../../moderation/actor.js';
import type { AdminRequest, AdminRoute } from '../../moderation/admin-router.js';
import type { StateService } from './state-service.js';

/**
 * The admin API's live-state routes (live widgets), for the app backend (API key) and
 * broadcasters: read a stream's state, and set, patch or delete one key, optionally conditional
 * on its version (`ifVersion`; 409 `version_conflict` with the current `version`) and idempotent
 * (`Idempotency-Key`: a retry is answered with the first attempt's result, `replayed: true`).
 */
export function stateRoutes(route: AdminRoute, service: StateService): Route[] {
  const own = { ownIdempotency: true };
  const write = (op: StateOp) => async (req: AdminRequest, actor: Actor) => {
    const { stream, key } = params(req);
    const ifVersion = req.body.ifVersion ?? req.query.ifVersion;
    if (ifVersion !== undefined && !isStateVersion(ifVersion))
      throw new RoarError(ErrorCode.InvalidField, 'ifVersion must be an integer from 0');
    if (req.idempotencyKey !== undefined && !isIdempotencyKey(req.idempotencyKey))
      throw new RoarError(
        ErrorCode.InvalidField,
        'Idempotency-Key must be 1-64 of A-Z a-z 0-9 _ . : -',
      );
    if (
      op === 'patch' &&
      (typeof req.body.value !== 'object' ||
        req.body.value === null ||
        Array.isArray(req.body.value))
    )
      throw new RoarError(ErrorCode.InvalidField, 'a patch value must be an object');
    const reply = await service.write(actor, stream, {
      key,
      op,
      value: req.body.value,
      ifVersion,
      idempotencyKey: req.idempotencyKey,
    });
    return json(200, reply);
  };
  return [
    route('get', '/streams/:stream/state', async (req, actor) => {
      const state = await service.read(actor, req.params.stream ?? '');
      return json(200, { version: state.version, keys: state.changes });
    }),
    route('put', '/streams/:stream/state/:key', write('set'), own),
    route('patch', '/streams/:stream/state/:key', write('patch'), own),
    route('del', '/streams/:stream/state/:key', write('delete'), own),
  ];
}

function params(req: AdminRequest): { stream: string; key: string } {
  const key = req.params.key ?? '';
  if (!isStateKey(key))
    throw new RoarError(
      ErrorCode.InvalidField,
      'key must be 1-32 of A-Z a-z 0-9 _ . -, starting with a letter or digit',
    );
  return { stream: req.params.stream ?? '', key };
}
