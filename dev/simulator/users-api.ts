import { canvasErrors } from './canvas-errors.ts';
import { canvasTime } from './canvas-time.ts';
import type { CanvasHandler, Handler } from './sim-request.ts';

/** `GET /api/v1/users/:id` (`self` included): what rotation calls to test a Canvas token. */
export const handleShowUser: CanvasHandler = (req, auth, reply, state) => {
  const raw = req.routeParams.id ?? '';
  const user =
    raw === 'self' ? auth.user : /^\d{1,15}$/.test(raw) ? state.directory.findUser(Number(raw)) : undefined;
  if (!user) return canvasErrors.notFound(reply);
  if (!state.directory.canRead(auth.user, { type: 'User', record: user }))
    return canvasErrors.unauthorized(reply);
  const [last = '', first = ''] = user.sortableName.split(', ');
  reply.json(200, {
    id: user.id,
    name: user.name,
    sortable_name: user.sortableName,
    short_name: user.name,
    first_name: first,
    last_name: last,
    created_at: canvasTime(Date.UTC(2020, 0, 1)),
  });
};

/** `GET /internal/services/jwks`: the public keys that verify signed-only services JWTs. */
export const handleServicesJwks: Handler = (_req, reply, state) => {
  reply.json(200, state.keys.canvasJwks);
};
