import { ErrorCode, RoarError, type ModRequest } from '@roar/protocol';
import type { Identity } from '../base/identity.js';
import type { Actor } from './actor.js';
import type { ModerationService } from './service.js';

/** Who acts, for a WebSocket command: the connection's signed-in user with its roles. */
export function actorFor(identity: Identity): Actor {
  return {
    id: identity.userId ?? identity.key,
    roles: identity.roles,
    admin: identity.roles.includes('admin'),
  };
}

/** A moderator's WebSocket command, run through the same service as the admin API. */
export async function performModAction(
  service: ModerationService,
  identity: Identity,
  req: ModRequest,
): Promise<void> {
  if (identity.anonymous) throw new RoarError(ErrorCode.Unauthenticated, 'sign in to moderate');
  const actor = actorFor(identity);
  const { stream, action } = req;
  switch (action.type) {
    case 'delete':
      return service.deleteMessage(actor, stream, action.id, action.reason);
    case 'clear':
      return service.clear(actor, stream, action.reason);
    case 'timeout':
      await service.ban(actor, stream, action.userId, action.reason, action.seconds);
      return;
    case 'ban':
      await service.ban(actor, stream, action.userId, action.reason);
      return;
    case 'unban':
      return service.unban(actor, stream, action.userId);
    case 'pin':
      await service.pin(actor, stream, action.id);
      return;
    case 'unpin':
      return service.unpin(actor, stream);
    case 'announce':
      await service.announce(actor, stream, action.text);
      return;
    case 'settings':
      await service.updateSettings(actor, stream, action.settings);
      return;
    case 'approve':
      await service.approve(actor, stream, action.id);
      return;
    case 'deny':
      return service.deny(actor, stream, action.id, action.reason);
  }
}
